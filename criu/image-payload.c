/*
 * What follows an entry in the kinds that carry more than protobuf entries
 * (the extra= column of images/kinds.def): how long a raw payload is, from
 * fields of the entry, and how to step over any of the layouts.  Built on
 * the public calls of image.h only; the kind table names the fields, the
 * messages name their types, so nothing here knows a message's C struct.
 */
#include "image.h"
#include "log.h"

/*
 * An unsigned integer field of @msg by name: 0 when an optional field is
 * unset, -EINVAL when the schema has no such scalar field, -ERANGE for a
 * negative value.
 */
static int get_uint_field(const ProtobufCMessage *msg, const char *name, uint64_t *v)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
	const char *base = (const char *)msg;

	*v = 0;
	if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
		return -EINVAL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    !*(const protobuf_c_boolean *)(base + f->quantifier_offset))
		return 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		*v = *(const protobuf_c_boolean *)(base + f->offset) ? 1 : 0;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*v = *(const uint32_t *)(base + f->offset);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*v = *(const uint64_t *)(base + f->offset);
		return 0;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: {
		int32_t s = *(const int32_t *)(base + f->offset);

		if (s < 0)
			return -ERANGE;
		*v = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		int64_t s = *(const int64_t *)(base + f->offset);

		if (s < 0)
			return -ERANGE;
		*v = s;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static int field_or_log(const struct cr_img *img, const ProtobufCMessage *msg, const char *name, uint64_t *v)
{
	int r = get_uint_field(msg, name, v);

	if (r)
		pr_err("%s (%s): field %s of %s can't give a payload length: %s\n", img_name(img),
		       img_kind_desc(img_kind(img))->name, name, msg->descriptor->name, strerror(-r));
	return r;
}

/* @v rounded up to @a (a power of two), -ERANGE past 2^62. */
static int round_len(uint64_t v, uint64_t a, uint64_t *len)
{
	if (v > (1ull << 62))
		return -ERANGE;
	*len = (v + a - 1) & ~(a - 1);
	return 0;
}

int img_entry_payload(const struct cr_img *img, const void *m, uint64_t *len)
{
	const struct img_kind_desc *kd = img_kind_desc(img_kind(img));
	const ProtobufCMessage *msg = m;
	uint64_t v, sum = 0;
	int r;

	*len = 0;
	switch (kd->extra) {
	case IMG_EXTRA_NONE:
		return 0;
	case IMG_EXTRA_FIELDS:
		if (msg->descriptor != kd->entry)
			return 0;
		for (int i = 0; kd->extra_fields[i]; i++) {
			r = field_or_log(img, msg, kd->extra_fields[i], &v);
			if (r)
				return r;
			if (sum + v < sum || sum + v > (1ull << 62)) {
				pr_err("%s (%s): payload length overflows\n", img_name(img), kd->name);
				return -ERANGE;
			}
			sum += v;
		}
		*len = sum;
		return 0;
	case IMG_EXTRA_IPC_SHM:
		r = field_or_log(img, msg, "in_pagemaps", &v);
		if (r || v)
			return r; /* contents are in the pagemap */
		r = field_or_log(img, msg, "size", &v);
		if (!r)
			r = round_len(v, 4, len);
		break;
	case IMG_EXTRA_IPC_SEM:
		r = field_or_log(img, msg, "nsems", &v);
		if (!r)
			r = round_len(v * 2, 8, len);
		break;
	case IMG_EXTRA_GHOST:
		if (msg->descriptor == kd->entry) /* a chunk */
			return field_or_log(img, msg, "len", len);
		/* the contents after the head run to the end of the file */
		pr_err("%s (%s): the payload after %s is not one length\n", img_name(img), kd->name,
		       msg->descriptor->name);
		return -EOPNOTSUPP;
	default:
		pr_err("%s (%s): the payload after %s is not one length\n", img_name(img), kd->name,
		       msg->descriptor->name);
		return -EOPNOTSUPP;
	}
	if (r == -ERANGE)
		pr_err("%s (%s): payload length overflows\n", img_name(img), kd->name);
	return r;
}

int img_skip_payload(struct cr_img *img, const void *m)
{
	const struct img_kind_desc *kd = img_kind_desc(img_kind(img));
	const ProtobufCMessage *msg = m;
	uint64_t len, qnum;
	int r;

	switch (kd->extra) {
	case IMG_EXTRA_GHOST:
		if (msg->descriptor != kd->head)
			break;
		r = field_or_log(img, msg, "chunks", &len);
		if (r)
			return r;
		return len ? 0 : img_skip_to_end(img);
	case IMG_EXTRA_IPC_MSG:
		if (msg->descriptor != kd->entry)
			break;
		r = field_or_log(img, msg, "qnum", &qnum);
		if (r)
			return r;
		for (uint64_t i = 0; i < qnum; i++) {
			_cleanup_msg_ void *one = NULL;
			uint64_t msize;

			r = img_read_entry(img, kd->extra_msg, &one);
			if (r == 0) {
				pr_err("%s (%s): truncated: %llu of %llu queued messages\n", img_name(img), kd->name,
				       (unsigned long long)i, (unsigned long long)qnum);
				return -EIO;
			}
			if (r < 0)
				return r;
			r = field_or_log(img, one, "msize", &msize);
			if (!r)
				r = round_len(msize, 8, &len);
			if (!r)
				r = img_skip_raw(img, len);
			if (r)
				return r;
		}
		return 0;
	default:
		break;
	}
	r = img_entry_payload(img, msg, &len);
	if (r)
		return r;
	return len ? img_skip_raw(img, len) : 0;
}
