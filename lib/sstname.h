#ifndef SSTNAME_H
#define SSTNAME_H

/*
 * SSTable file names (2.1 to 5.0) and their generations:
 *
 *   2.1    KS-TABLE-ka-GEN-Component        (an index: KS-TABLE.INDEX-ka-...)
 *   2.2+   VER-GEN-FORMAT-Component         nb-3-big-Data.db,
 *                                           nb-3-big-SAI+aa+idx+Meta.db
 *   4.1+   GEN a 28-character time-based id nb-3gbk_0qvs_1vgog2hm6c9ksd6sn0-big-Data.db
 *
 * Every component of one sstable has the same name up to its Component:
 * the sstable's prefix.  A generation is a decimal number or such an id.
 */

#include <stddef.h>
#include <stdint.h>

#include "casspath.h"

struct sstname {
	int			 legacy;	/* 1: the 2.1 form */
	struct casspath_span	 prefix;	/* the name up to Component,
						   its '-' included */
	struct casspath_span	 gen;		/* GEN */
	struct casspath_span	 component;	/* "Data.db" */
	struct casspath_span	 index;		/* 2.1: INDEX of TABLE.INDEX */
	int			 numeric;	/* GEN is decimal */
	uint64_t		 ngen;		/* its value, if numeric */
};

/*
 * Parse a file name as an sstable component; the spans point into name.
 * Returns 0, or -1 if name is not one (temporary files such as
 * KS-TABLE-tmp-ka-1-Data.db, transaction logs, manifest.json are not).
 */
int sstname_parse(const char *name, struct sstname *sn);

/*
 * The name of the same component of generation gen (a decimal number):
 * name (as sn parsed it) with its GEN replaced, into buf (size bytes).
 * Returns 0, or -1 if it does not fit.
 */
int sstname_with_gen(const char *name, const struct sstname *sn,
    uint64_t gen, char *buf, size_t size);

#endif
