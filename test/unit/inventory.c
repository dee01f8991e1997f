/*
 * The inventory image: what write_inventory() writes (the same bytes as
 * CRIU 4.2's inventory but for the run id and the host's LSM), what
 * read_inventory() accepts (CRIU's fixtures) and refuses (other versions,
 * too old, corrupt), the run id and the LSM detection.
 */
#include <limits.h>
#include <sys/stat.h>

#include "inventory.h"
#include "log.h"

#include "unit.h"
#include "image-test.h"

static const char *scratch;
static struct img_dir *dir;

static InventoryEntry *fixture_inventory(void)
{
	_cleanup_img_dir_ struct img_dir *d = NULL;
	InventoryEntry *ie = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sleep", fixture_root());
	if (img_dir_open(path, IMG_DIR_READ, &d) || read_inventory(d, &ie))
		return NULL;
	return ie;
}

static void test_read_fixtures(void)
{
	InventoryEntry *ie _cleanup_msg_ = fixture_inventory();

	CHECK(ie != NULL);
	if (!ie)
		return;
	CHECK(ie->img_version == CRTOOLS_IMAGES_V1_1);
	CHECK(ie->fdinfo_per_id && ie->ns_per_id);
	CHECK(ie->root_ids && ie->root_ids->net_ns_id == 2 && ie->root_ids->cgroup_ns_id == 8);
	CHECK(ie->has_root_cg_set && ie->root_cg_set == 1);
	CHECK(ie->has_lsmtype && ie->lsmtype == LSMTYPE__NO_LSM);
	CHECK(ie->has_network_lock_method && ie->network_lock_method == 0);
	CHECK(ie->plugins_entry && ie->plugins_entry->n_plugins == 0);
	CHECK_STR(ie->dump_criu_run_id, "8494d493-acf8-497d-b327-1eea79bdca6f");
}

/* Our inventory, given CRIU's parameters, is CRIU's inventory. */
static void test_write_like_criu(void)
{
	InventoryEntry *want _cleanup_msg_ = fixture_inventory(), *got _cleanup_msg_ = NULL;
	struct inventory_params p = { 0 };
	_cleanup_free_ uint8_t *file = NULL, *packed = NULL;
	char path[PATH_MAX];
	size_t len, plen;

	if (!want) {
		CHECK(want != NULL);
		return;
	}
	p.root_ids = want->root_ids;
	p.root_cg_set = want->root_cg_set;
	p.network_lock_method = INVENTORY_NETLOCK_IPTABLES;
	CHECK(write_inventory(dir, &p) == 0);

	/* expected: CRIU's entry with this run's id and this host's LSM */
	free(want->dump_criu_run_id);
	want->dump_criu_run_id = strdup(criu_run_id());
	want->lsmtype = host_lsm_type();
	plen = protobuf_c_message_get_packed_size(&want->base);
	packed = malloc(plen);
	protobuf_c_message_pack(&want->base, packed);

	snprintf(path, sizeof(path), "%s/inventory.img", scratch);
	file = slurp(path, &len);
	CHECK(file && len == 4 + 4 + plen);
	CHECK(file && !memcmp(file, "\x16\x31\x31\x58", 4)); /* INVENTORY magic alone */
	CHECK(file && len == 8 + plen && !memcmp(file + 8, packed, plen));

	CHECK(read_inventory(dir, &got) == 0);
	CHECK(got && got->img_version == 2 && got->root_cg_set == 1);
	CHECK(got && !strcmp(got->dump_criu_run_id, criu_run_id()));
}

static void test_params(void)
{
	TaskKobjIdsEntry ids = TASK_KOBJ_IDS_ENTRY__INIT;
	const char *plugins[] = { "amdgpu", "cuda" };
	struct inventory_params p = { .root_ids = &ids,
				      .tcp_close = true,
				      .dump_uptime = 123456,
				      .network_lock_method = INVENTORY_NETLOCK_NFTABLES,
				      .plugins = plugins,
				      .n_plugins = 2 };
	InventoryEntry *ie _cleanup_msg_ = NULL;

	ids.has_pid_ns_id = true;
	ids.pid_ns_id = 5;
	CHECK(write_inventory(dir, &p) == 0);
	CHECK(read_inventory(dir, &ie) == 0 && ie);
	if (!ie)
		return;
	CHECK(!ie->has_root_cg_set); /* 0: not recorded */
	CHECK(ie->has_tcp_close && ie->tcp_close);
	CHECK(ie->has_dump_uptime && ie->dump_uptime == 123456);
	CHECK(ie->network_lock_method == INVENTORY_NETLOCK_NFTABLES);
	CHECK(ie->plugins_entry && ie->plugins_entry->n_plugins == 2);
	CHECK(ie->root_ids && ie->root_ids->pid_ns_id == 5);

	p.root_ids = NULL;
	log_set_loglevel(LOG_MSG); /* expected */
	CHECK(write_inventory(dir, &p) == -EINVAL);
	log_set_loglevel(DEFAULT_LOGLEVEL);
}

/* Write an inventory entry as given, then read_inventory(): the result. */
static int read_back(unsigned int version, bool fdinfo_per_id, bool cg_zero)
{
	InventoryEntry ie = INVENTORY_ENTRY__INIT, *got = NULL;
	int r;

	ie.img_version = version;
	ie.has_fdinfo_per_id = true;
	ie.fdinfo_per_id = fdinfo_per_id;
	ie.has_root_cg_set = cg_zero;
	CHECK(img_write_one(dir, CR_IMG_INVENTORY, 0, &ie) == 0);
	r = read_inventory(dir, &got);
	CHECK(r ? got == NULL : got != NULL);
	img_msg_free(got);
	return r;
}

static void test_versions(void)
{
	_cleanup_img_dir_ struct img_dir *empty = NULL;
	InventoryEntry *ie = NULL;
	char path[PATH_MAX];

	log_set_loglevel(LOG_MSG); /* the refusals below are expected */
	CHECK(read_back(2, true, false) == 0);
	CHECK(read_back(1, true, false) == -EOPNOTSUPP);
	CHECK(read_back(3, true, false) == -EOPNOTSUPP);
	CHECK(read_back(99, true, false) == -EOPNOTSUPP);
	CHECK(read_back(2, false, false) == -EOPNOTSUPP);
	CHECK(read_back(2, true, true) == -EINVAL);

	snprintf(path, sizeof(path), "%s/empty", scratch);
	CHECK(img_dir_open(path, IMG_DIR_CREATE, &empty) == 0);
	CHECK(read_inventory(empty, &ie) == -ENOENT && !ie);
	log_set_loglevel(DEFAULT_LOGLEVEL);
}

static void test_run_id(void)
{
	const char *id = criu_run_id();

	CHECK(strlen(id) == 36);
	CHECK(id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-');
	CHECK(id[14] == '4'); /* a random (version 4) UUID */
	CHECK(criu_run_id() == id && !strcmp(criu_run_id(), id));
}

/* mkdir -p @root/@rel */
static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/", root);

	for (const char *p = rel;; p++) {
		if (*p == '/' || !*p) {
			snprintf(path + n, sizeof(path) - n, "%.*s", (int)(p - rel), rel);
			mkdir(path, 0755);
		}
		if (!*p)
			break;
	}
}

static void test_lsm(void)
{
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/root", scratch);
	mkdir(root, 0755);
	CHECK(lsm_type_under(root) == LSMTYPE__NO_LSM);
	mkdirs(root, "sys/fs/selinux");
	CHECK(lsm_type_under(root) == LSMTYPE__SELINUX);
	mkdirs(root, "sys/kernel/security/apparmor");
	CHECK(lsm_type_under(root) == LSMTYPE__APPARMOR);
	CHECK(host_lsm_type() == lsm_type_under(""));
}

int main(void)
{
	scratch = scratch_dir();
	if (img_dir_open(scratch, IMG_DIR_READ, &dir)) {
		printf("FAIL: inventory: setup\n");
		return 1;
	}
	if (fixture_root()) {
		RUN(test_read_fixtures);
		RUN(test_write_like_criu);
	} else {
		printf("SKIP: inventory fixtures: no fixtures (set CRIU_FIXTURES)\n");
	}
	RUN(test_params);
	RUN(test_versions);
	RUN(test_run_id);
	RUN(test_lsm);
	img_dir_close(dir);
	scratch_remove(scratch);
	return unit_done();
}
