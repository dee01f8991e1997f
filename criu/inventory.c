/*
 * The inventory image: what dump writes last (so a directory with an
 * inventory is a complete checkpoint) and restore reads first.  It fixes
 * the image format version (2, "v1.1": the common magic in every file but
 * this one) and records the host facts restore checks against.
 */
#define LOG_PREFIX "inventory: "

#include <fcntl.h>
#include <limits.h>
#include <sys/random.h>
#include <time.h>

#include "inventory.h"
#include "log.h"

#define UUID_LEN 36

static char run_id[UUID_LEN + 1];

static bool uuid_valid(const char *s)
{
	for (int i = 0; i < UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return s[UUID_LEN] == '\0' || s[UUID_LEN] == '\n';
}

/* The kernel makes a random (version 4) UUID for every read of this file. */
static int uuid_from_kernel(char *out)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/random/uuid", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < UUID_LEN)
		return -EIO;
	buf[n] = '\0';
	if (!uuid_valid(buf))
		return -EIO;
	memcpy(out, buf, UUID_LEN);
	out[UUID_LEN] = '\0';
	return 0;
}

/* The same from getrandom(2), should /proc be missing. */
static void uuid_from_random(char *out)
{
	uint8_t b[16] = { 0 };
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0) {
			/* never happens on Linux >= 3.17; stay unique per run anyway */
			uint64_t t = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);

			memcpy(b, &t, sizeof(t));
			break;
		}
		got += n;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

const char *criu_run_id(void)
{
	if (!run_id[0] && uuid_from_kernel(run_id))
		uuid_from_random(run_id);
	return run_id;
}

Lsmtype lsm_type_under(const char *root)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/kernel/security/apparmor", root);
	if (!access(path, F_OK))
		return LSMTYPE__APPARMOR;
	snprintf(path, sizeof(path), "%s/sys/fs/selinux", root);
	if (!access(path, F_OK))
		return LSMTYPE__SELINUX;
	return LSMTYPE__NO_LSM;
}

Lsmtype host_lsm_type(void)
{
	return lsm_type_under("");
}

int write_inventory(struct img_dir *dir, const struct inventory_params *p)
{
	InventoryEntry ie = INVENTORY_ENTRY__INIT;
	PluginsEntry pe = PLUGINS_ENTRY__INIT;

	if (!p->root_ids) {
		pr_err("No root task ids to write\n");
		return -EINVAL;
	}

	ie.img_version = CRTOOLS_IMAGES_V1_1;
	ie.has_fdinfo_per_id = true;
	ie.fdinfo_per_id = true;
	ie.root_ids = (TaskKobjIdsEntry *)p->root_ids;
	ie.has_ns_per_id = true;
	ie.ns_per_id = true;
	if (p->root_cg_set) {
		ie.has_root_cg_set = true;
		ie.root_cg_set = p->root_cg_set;
	}
	ie.has_lsmtype = true;
	ie.lsmtype = host_lsm_type();
	if (p->dump_uptime) {
		ie.has_dump_uptime = true;
		ie.dump_uptime = p->dump_uptime;
	}
	if (p->tcp_close) {
		ie.has_tcp_close = true;
		ie.tcp_close = true;
	}
	ie.has_network_lock_method = true;
	ie.network_lock_method = p->network_lock_method;
	/* always there, even empty: "no plugins needed", unlike an old image */
	pe.n_plugins = p->n_plugins;
	pe.plugins = (char **)p->plugins;
	ie.plugins_entry = &pe;
	ie.dump_criu_run_id = (char *)criu_run_id();

	pr_info("Writing the inventory (image version %u, run %s)\n", ie.img_version, ie.dump_criu_run_id);
	return img_write_one(dir, CR_IMG_INVENTORY, 0, &ie);
}

static int check_inventory(const InventoryEntry *ie)
{
	switch (ie->img_version) {
	case CRTOOLS_IMAGES_V1_1:
		break;
	case CRTOOLS_IMAGES_V1:
		pr_err("Image version 1 (CRIU before 1.1, no common magic) is not supported\n");
		return -EOPNOTSUPP;
	case CRTOOLS_IMAGES_V1_2:
		pr_err("Image version 3 (compressed page contents) is not supported\n");
		return -EOPNOTSUPP;
	default:
		pr_err("Unknown image version %u: written by a newer tool? (criu reads version %d)\n", ie->img_version,
		       CRTOOLS_IMAGES_V1_1);
		return -EOPNOTSUPP;
	}
	if (!ie->has_fdinfo_per_id || !ie->fdinfo_per_id) {
		pr_err("Image without fdinfo_per_id: too old, not supported\n");
		return -EOPNOTSUPP;
	}
	if (ie->has_root_cg_set && ie->root_cg_set == 0) {
		pr_err("Corrupt inventory: root_cg_set is 0\n");
		return -EINVAL;
	}
	return 0;
}

int read_inventory(struct img_dir *dir, InventoryEntry **out)
{
	InventoryEntry *ie _cleanup_msg_ = NULL;
	int r;

	*out = NULL;
	r = img_read_one(dir, CR_IMG_INVENTORY, 0, &inventory_entry__descriptor, (void **)&ie);
	if (r)
		return r;
	r = check_inventory(ie);
	if (r)
		return r;
	pr_info("Inventory: image version %u, dump run %s\n", ie->img_version,
		ie->dump_criu_run_id ? ie->dump_criu_run_id : "(none)");
	*out = TAKE_PTR(ie);
	return 0;
}
