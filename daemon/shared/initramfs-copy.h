/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The initramfs's copy of the root volumes' definitions, and whether it
 * still says what /etc/basicdm.conf says.
 *
 * initramfs-tools' hook (hooks/basicdm) writes the copy with basicdmd
 * --initramfs-config into an uncompressed cpio archive that it puts in
 * front of the image's compressed one, where CPU microcode goes too.  The
 * kernel unpacks both alike; the copy is read here without unpacking the
 * rest.  basicdmd --check and basicdmctl check warn for every image whose
 * copy defines a volume otherwise than the configuration, or defines one
 * the configuration no longer has: that image's next boot would map the
 * old definition, or wait for a disk that is no longer the root's.
 */
#pragma once

#include "config-errors.h"
#include "config-model.h"

/* Where the copy is in the image, and what it starts with. */
#define INITRAMFS_COPY_PATH "etc/basicdm/initramfs.conf"
#define INITRAMFS_COPY_HEADER                                                              \
	"# basicdm: the volumes this initramfs activates before the root file system is\n"    \
	"# mounted, copied from /etc/basicdm.conf by basicdmd --initramfs-config when the\n" \
	"# image was built.  Edit /etc/basicdm.conf, then run update-initramfs -u.\n"

/* The images basicdm checks: Debian's names for them. */
#define INITRAMFS_IMAGE_GLOB "/boot/initrd.img-*"

/*
 * The copy in IMAGE, NUL-terminated, in *RET (malloc'ed).  -ENOENT when the
 * image's uncompressed archives at its start hold none, -EFBIG for a copy
 * over 1 MiB, -EINVAL for a broken archive, or the -errno of reading IMAGE.
 */
int initramfs_copy_read(const char *image, char **ret);

/*
 * For each volume TEXT (the copy in IMAGE) defines otherwise than C, or C
 * does not define, a warning "IMAGE: ..." into WARNINGS with the fix.
 * 0 or -ENOMEM.
 */
int initramfs_copy_compare(const char *image, const char *text, const struct config *c,
			   struct config_errors *warnings);

/*
 * initramfs_copy_compare() for every image of PATTERN (a glob,
 * INITRAMFS_IMAGE_GLOB) that holds a copy.  0 or -ENOMEM.
 */
int initramfs_check(const char *pattern, const struct config *c, struct config_errors *warnings);
