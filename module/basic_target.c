// SPDX-License-Identifier: GPL-2.0-only
/*
 * basic_target: remap a range of a mapped device onto a range of one
 * backing block device, counting the I/O that passes and, on request,
 * logging every bio.
 *
 * Table line:
 *   <start> <length> basic_target <device> <offset> [<#features> <feature>...]
 *
 *   device   path or major:minor of the backing block device
 *   offset   first 512-byte sector used on the backing device
 *   features trace: log each bio (op, sector, size) through a rate-limited
 *            kernel message; switchable at runtime with "trace on|off".
 *
 * Messages: "trace on", "trace off", "stats reset".
 * See basic_target.rst for the status fields.
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/dm-ioctl.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "basic_target_compat.h"

/*
 * The bench (tests/bench) builds this file again as other targets, to
 * measure what two of its choices cost: BASIC_BENCH_NO_COUNTERS maps
 * without counting, BASIC_BENCH_FLUSH_BYPASS (6.10 and later) lets dm core
 * send empty flushes past the map, uncounted, as dm-linear does. Neither
 * is an option of the product; the product is the build without them.
 */
#ifndef BASIC_TARGET_NAME
#define BASIC_TARGET_NAME "basic_target"
#endif
#ifdef BASIC_BENCH_NO_COUNTERS
#define BASIC_COUNTING false
#else
#define BASIC_COUNTING true
#endif

#define DM_MSG_PREFIX BASIC_TARGET_NAME

/* Room for features to come; each is one word and may appear once. */
#define BASIC_MAX_FEATURES 8

/* Counted when a bio is mapped, per CPU so the I/O path shares no line. */
struct basic_stats {
	u64 reads;
	u64 read_sectors;
	u64 writes;
	u64 write_sectors;
	u64 flushes;
	u64 discards;
	u64 discard_sectors;
	u64 write_zeroes;
	u64 write_zeroes_sectors;
	u64 secure_erases;
};

struct basic_c {
	struct dm_dev *dev;
	char name[DM_NAME_LEN];	/* the map's name when the table was loaded */
	sector_t start;
	bool trace_feature;	/* given in the table; echoed by STATUSTYPE_TABLE */
	bool trace;		/* live state, switched by the "trace" message */
	struct basic_stats __percpu *stats;
	/*
	 * What "stats reset" set aside: the sums at the last reset, taken off
	 * every status (basic_reset_stats).  The lock orders resets and
	 * status reads.
	 */
	spinlock_t stats_lock;
	struct basic_stats stats_base;
	struct ratelimit_state trace_rs; /* per target: one busy map cannot mute another */
};

/*
 * kstrtoull rather than sscanf("%llu"): the latter wraps silently on
 * overflow, so "18446744073709551616" would become offset 0.
 */
static int basic_parse_offset(struct dm_target *ti, const char *arg,
			      sector_t *offset)
{
	unsigned long long tmp;
	int r;

	r = kstrtoull(arg, 10, &tmp);
	if (r == -ERANGE || (!r && (sector_t)tmp != tmp)) {
		ti->error = "Device offset too large";
		return -EINVAL;
	}
	if (r) {
		ti->error = "Invalid device offset";
		return -EINVAL;
	}
	*offset = tmp;
	return 0;
}

static int basic_parse_features(struct dm_target *ti, struct basic_c *bc,
				struct dm_arg_set *as)
{
	unsigned int count, i;
	const char *arg;

	if (!as->argc)
		return 0;

	/* kstrtouint: sscanf("%u") would truncate 4294967296 to 0 */
	arg = dm_shift_arg(as);
	if (kstrtouint(arg, 10, &count)) {
		ti->error = "Invalid feature count";
		return -EINVAL;
	}
	if (count > BASIC_MAX_FEATURES) {
		ti->error = "Too many features";
		return -EINVAL;
	}
	if (count > as->argc) {
		ti->error = "Feature count exceeds the features given";
		return -EINVAL;
	}
	if (count < as->argc) {
		ti->error = "Unexpected argument after the features";
		return -EINVAL;
	}

	for (i = 0; i < count; i++) {
		arg = dm_shift_arg(as);
		if (!strcasecmp(arg, "trace")) {
			if (bc->trace_feature) {
				ti->error = "Feature trace given twice";
				return -EINVAL;
			}
			bc->trace_feature = true;
		} else {
			ti->error = "Unknown feature";
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Construct: <device> <offset> [<#features> <feature>...]
 */
static int basic_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	basic_mode_t mode = dm_table_get_mode(ti->table);
	struct basic_c *bc;
	const char *path;
	sector_t dev_size;
	int r;

	if (argc < 2) {
		ti->error = "Not enough arguments: <device> <offset> required";
		return -EINVAL;
	}

	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}

	path = dm_shift_arg(&as);
	r = basic_parse_offset(ti, dm_shift_arg(&as), &bc->start);
	if (r)
		goto bad;

	r = basic_parse_features(ti, bc, &as);
	if (r)
		goto bad;

	r = dm_get_device(ti, path, mode, &bc->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}

	/*
	 * The block layer only warns about writes to a read-only device and
	 * the driver then fails them: refuse the table instead.
	 */
	if ((mode & BASIC_MODE_WRITE) && bdev_read_only(bc->dev->bdev)) {
		ti->error = "Device is read-only but the table is read-write";
		r = -EROFS;
		goto bad_put;
	}

	dev_size = bdev_nr_sectors(bc->dev->bdev);
	if (bc->start > dev_size || ti->len > dev_size - bc->start) {
		ti->error = "Device too small for offset + length";
		r = -EINVAL;
		goto bad_put;
	}

	bc->stats = alloc_percpu(struct basic_stats);
	if (!bc->stats) {
		ti->error = "Cannot allocate counters";
		r = -ENOMEM;
		goto bad_put;
	}
	spin_lock_init(&bc->stats_lock);

	/*
	 * dm_device_name() is the disk name ("dm-0"); the name users know
	 * sits behind a lock the I/O path must not take: copy it now.
	 */
	if (dm_copy_name_and_uuid(dm_table_get_md(ti->table), bc->name, NULL))
		strscpy(bc->name, dm_device_name(dm_table_get_md(ti->table)),
			sizeof(bc->name));

	bc->trace = bc->trace_feature;
	ratelimit_state_init(&bc->trace_rs, DEFAULT_RATELIMIT_INTERVAL, 64);
	ratelimit_set_flags(&bc->trace_rs, RATELIMIT_MSG_ON_RELEASE);

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	/*
	 * ti->flush_bypasses_map (6.10) stays false: it would let dm core send
	 * empty flushes straight to the device, past basic_map, and the
	 * flushes counter would stop counting. What that costs a flush is
	 * measured in doc/performance.md.
	 */
#if defined(BASIC_BENCH_FLUSH_BYPASS) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	ti->flush_bypasses_map = true;
#endif
	ti->private = bc;
	return 0;

bad_put:
	dm_put_device(ti, bc->dev);
bad:
	kfree(bc);
	return r;
}

static void basic_dtr(struct dm_target *ti)
{
	struct basic_c *bc = ti->private;

	ratelimit_state_exit(&bc->trace_rs);
	free_percpu(bc->stats);
	dm_put_device(ti, bc->dev);
	kfree(bc);
}

static void basic_count(struct basic_c *bc, struct bio *bio)
{
	struct basic_stats __percpu *s = bc->stats;
	unsigned int sectors = bio_sectors(bio);

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		this_cpu_inc(s->reads);
		this_cpu_add(s->read_sectors, sectors);
		break;
	case REQ_OP_WRITE:
		/* dm core sends a flush to the target as an empty write */
		if (bio->bi_opf & REQ_PREFLUSH)
			this_cpu_inc(s->flushes);
		if (sectors) {
			this_cpu_inc(s->writes);
			this_cpu_add(s->write_sectors, sectors);
		}
		break;
	case REQ_OP_DISCARD:
		this_cpu_inc(s->discards);
		this_cpu_add(s->discard_sectors, sectors);
		break;
	case REQ_OP_WRITE_ZEROES:
		this_cpu_inc(s->write_zeroes);
		this_cpu_add(s->write_zeroes_sectors, sectors);
		break;
	case REQ_OP_SECURE_ERASE:
		this_cpu_inc(s->secure_erases);
		break;
	default:
		break;
	}
}

static void basic_trace(struct dm_target *ti, struct basic_c *bc,
			struct bio *bio)
{
	if (!__ratelimit(&bc->trace_rs))
		return;
	DMINFO("%s: %s%s%s sector %llu size %u", bc->name,
	       blk_op_str(bio_op(bio)),
	       bio->bi_opf & REQ_PREFLUSH ? "+PREFLUSH" : "",
	       bio->bi_opf & REQ_FUA ? "+FUA" : "",
	       (unsigned long long)bio->bi_iter.bi_sector,
	       bio->bi_iter.bi_size);
}

static int basic_map(struct dm_target *ti, struct bio *bio)
{
	struct basic_c *bc = ti->private;

	if (BASIC_COUNTING)
		basic_count(bc, bio);
	if (unlikely(READ_ONCE(bc->trace)))
		basic_trace(ti, bc, bio);

	bio_set_dev(bio, bc->dev->bdev);
	/* an empty flush carries no sector */
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = bc->start +
			dm_target_offset(ti, bio->bi_iter.bi_sector);

	return DM_MAPIO_REMAPPED;
}

static void basic_sum_stats(struct basic_c *bc, struct basic_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct basic_stats *s = per_cpu_ptr(bc->stats, cpu);

		sum->reads += READ_ONCE(s->reads);
		sum->read_sectors += READ_ONCE(s->read_sectors);
		sum->writes += READ_ONCE(s->writes);
		sum->write_sectors += READ_ONCE(s->write_sectors);
		sum->flushes += READ_ONCE(s->flushes);
		sum->discards += READ_ONCE(s->discards);
		sum->discard_sectors += READ_ONCE(s->discard_sectors);
		sum->write_zeroes += READ_ONCE(s->write_zeroes);
		sum->write_zeroes_sectors += READ_ONCE(s->write_zeroes_sectors);
		sum->secure_erases += READ_ONCE(s->secure_erases);
	}
}

/*
 * A reset never writes the per-CPU counters: zeroing another CPU's
 * counter races that CPU's this_cpu_add(), a read-modify-write atomic
 * only against its own CPU, which may store the old sum plus its bio back
 * over the zero, and the counter misses the reset.  The counters only
 * ever grow, each written by its own CPU alone; a reset sets the sums so
 * far aside as the base every status subtracts.  A bio mapped while a
 * reset runs is counted before or after it, each counter on its own: its
 * count may fall before and its sectors after.  Under the lock a status
 * after a reset reads every counter after the reset did, never below the
 * base.
 */
static void basic_reset_stats(struct basic_c *bc)
{
	spin_lock(&bc->stats_lock);
	basic_sum_stats(bc, &bc->stats_base);
	spin_unlock(&bc->stats_lock);
}

/* The counts since the table was loaded or last reset. */
static void basic_read_stats(struct basic_c *bc, struct basic_stats *st)
{
	const struct basic_stats *base = &bc->stats_base;

	spin_lock(&bc->stats_lock);
	basic_sum_stats(bc, st);
	st->reads -= base->reads;
	st->read_sectors -= base->read_sectors;
	st->writes -= base->writes;
	st->write_sectors -= base->write_sectors;
	st->flushes -= base->flushes;
	st->discards -= base->discards;
	st->discard_sectors -= base->discard_sectors;
	st->write_zeroes -= base->write_zeroes;
	st->write_zeroes_sectors -= base->write_zeroes_sectors;
	st->secure_erases -= base->secure_erases;
	spin_unlock(&bc->stats_lock);
}

static void basic_status(struct dm_target *ti, status_type_t type,
			 unsigned int status_flags, char *result,
			 unsigned int maxlen)
{
	struct basic_c *bc = ti->private;
	struct basic_stats sum;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		basic_read_stats(bc, &sum);
		DMEMIT("%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %s",
		       sum.reads, sum.read_sectors, sum.writes,
		       sum.write_sectors, sum.flushes, sum.discards,
		       sum.discard_sectors, sum.write_zeroes,
		       sum.write_zeroes_sectors, sum.secure_erases,
		       READ_ONCE(bc->trace) ? "trace" : "notrace");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu", bc->dev->name, (unsigned long long)bc->start);
		if (bc->trace_feature)
			DMEMIT(" 1 trace");
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",device_name=%s,start=%llu,trace=%c;", bc->dev->name,
		       (unsigned long long)bc->start,
		       bc->trace_feature ? 'y' : 'n');
		break;
	}
}

static int basic_message(struct dm_target *ti, unsigned int argc, char **argv,
			 char *result, unsigned int maxlen)
{
	struct basic_c *bc = ti->private;

	if (argc == 2 && !strcasecmp(argv[0], "trace")) {
		if (!strcasecmp(argv[1], "on")) {
			WRITE_ONCE(bc->trace, true);
			return 0;
		}
		if (!strcasecmp(argv[1], "off")) {
			WRITE_ONCE(bc->trace, false);
			return 0;
		}
	} else if (argc == 2 && !strcasecmp(argv[0], "stats") &&
		   !strcasecmp(argv[1], "reset")) {
		basic_reset_stats(bc);
		return 0;
	}

	DMWARN_LIMIT("%s: unrecognised message; expected \"trace on|off\" or \"stats reset\"",
		     bc->name);
	return -EINVAL;
}

/* ioctls pass through only when the map covers the whole device */
static int basic_prepare_ioctl(BASIC_PREPARE_IOCTL_PARAMS(ti, bdev))
{
	struct basic_c *bc = ti->private;

	*bdev = bc->dev->bdev;
	return bc->start || ti->len != bdev_nr_sectors(bc->dev->bdev);
}

static int basic_iterate_devices(struct dm_target *ti,
				 iterate_devices_callout_fn fn, void *data)
{
	struct basic_c *bc = ti->private;

	return fn(ti, bc->dev, bc->start, ti->len, data);
}

/*
 * The flags dm-linear has, less ZONED_HM (no report_zones here) and the
 * DAX operations: the map leaves data alone, so integrity metadata and
 * inline encryption pass through, it never sleeps (NOWAIT) and it never
 * splits a bio, so atomic writes pass whole where the kernel has them.
 */
static struct target_type basic_target = {
	.name = BASIC_TARGET_NAME,
	.version = { 1, 0, 0 },
	.features = DM_TARGET_PASSES_INTEGRITY | DM_TARGET_NOWAIT |
		    DM_TARGET_PASSES_CRYPTO | BASIC_TARGET_ATOMIC_WRITES,
	.module = THIS_MODULE,
	.ctr = basic_ctr,
	.dtr = basic_dtr,
	.map = basic_map,
	.status = basic_status,
	.message = basic_message,
	.prepare_ioctl = basic_prepare_ioctl,
	.iterate_devices = basic_iterate_devices,
};

static int __init dm_basic_init(void)
{
	int r = dm_register_target(&basic_target);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_basic_exit(void)
{
	dm_unregister_target(&basic_target);
}

module_init(dm_basic_init);
module_exit(dm_basic_exit);

MODULE_DESCRIPTION(DM_NAME " remap onto one block device, with I/O counters and tracing");
MODULE_AUTHOR("basicdm developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-" BASIC_TARGET_NAME);
/*
 * The project's version (debian/changelog), handed in by Kbuild; a copy of
 * this folder alone, without the tree or a dkms.conf, builds without one.
 */
#ifdef BASIC_TARGET_VERSION
MODULE_VERSION(BASIC_TARGET_VERSION);
#endif
