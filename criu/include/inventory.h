/*
 * The inventory image (inventory.img): one inventory_entry per checkpoint,
 * written last by dump and read first by restore.  It says which image
 * format version the directory holds, how files and namespaces are laid
 * out (fdinfo_per_id, ns_per_id), the ids of the root task, the host's LSM,
 * the root cgroup set, the network-lock method and the id of the dump run.
 *
 *	struct inventory_params p = { .root_ids = &ids, .root_cg_set = 1 };
 *	r = write_inventory(dir, &p);
 *	...
 *	InventoryEntry *ie _cleanup_msg_ = NULL;
 *	r = read_inventory(dir, &ie);	// version and sanity checked
 *
 * Both return 0 or -errno and log the reason.
 */
#ifndef CRIU_INVENTORY_H
#define CRIU_INVENTORY_H

#include "common.h"
#include "image.h"
#include "images/inventory.pb-c.h"

/* Image format versions, as the inventory's img_version numbers them. */
#define CRTOOLS_IMAGES_V1   1 /* before v1.1: no common magic; not supported */
#define CRTOOLS_IMAGES_V1_1 2 /* what CRIU 3.x and 4.x write, and criu */
#define CRTOOLS_IMAGES_V1_2 3 /* compressed page contents; not supported */

/* network_lock_method values, as CRIU numbers them. */
#define INVENTORY_NETLOCK_IPTABLES 0
#define INVENTORY_NETLOCK_NFTABLES 1
#define INVENTORY_NETLOCK_SKIP	   2

struct inventory_params {
	const TaskKobjIdsEntry *root_ids; /* ids of the root task (required) */
	uint32_t root_cg_set;		  /* 0: not recorded (unprivileged dump) */
	uint32_t network_lock_method;	  /* INVENTORY_NETLOCK_* */
	bool tcp_close;			  /* --tcp-close: restore must say it too */
	uint64_t dump_uptime;		  /* 0: not recorded (no --track-mem) */
	const char *const *plugins;	  /* names of plugins the restore needs */
	size_t n_plugins;
};

/*
 * Write inventory.img into @dir: img_version 2, fdinfo_per_id and
 * ns_per_id set, lsmtype of this host, dump_criu_run_id = criu_run_id(),
 * an (empty unless given) plugins list, and the fields of @p.
 */
int write_inventory(struct img_dir *dir, const struct inventory_params *p) __must_check;

/*
 * Read inventory.img from @dir into *ie (the caller frees it, e.g. with
 * _cleanup_msg_).  Refused: a version other than 2 (-EOPNOTSUPP, saying
 * which: too old, compressed pages, or newer than criu knows), images
 * without fdinfo_per_id (-EOPNOTSUPP), a root_cg_set of 0 (-EINVAL).
 */
int read_inventory(struct img_dir *dir, InventoryEntry **ie) __must_check;

/*
 * The id of this criu run: a fresh UUID ("8494d493-acf8-...") made on
 * the first call and the same for the rest of the process.  Dump records
 * it; the network lock names its rules after it.
 */
const char *criu_run_id(void);

/*
 * The LSM of this host as the inventory records it: LSMTYPE__APPARMOR when
 * AppArmor's securityfs directory is there, LSMTYPE__SELINUX when
 * selinuxfs is, LSMTYPE__NO_LSM otherwise.  lsm_type_under() looks below
 * @root instead of / (for tests).
 */
Lsmtype host_lsm_type(void);
Lsmtype lsm_type_under(const char *root);

#endif /* CRIU_INVENTORY_H */
