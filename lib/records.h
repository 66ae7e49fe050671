#ifndef RECORDS_H
#define RECORDS_H

/*
 * Records on pipes between programs (see cb-records(5)).
 *
 * A record is one line, or one NUL-terminated string in -0 mode.  Fields
 * are separated by TAB and the path is always the LAST field, so in -0 mode
 * a path may hold any byte but NUL (TAB and newline included), while in
 * newline mode a field holding TAB or newline cannot be written and is
 * refused.  Readers are strict: a malformed record is an error naming its
 * record number, never skipped.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct rec_reader;

/*
 * Read records from in (not owned; never closed here).  nul: records end
 * in NUL instead of newline.  name is used in messages ("stdin", a file
 * name).  Returns NULL on allocation failure.
 */
struct rec_reader *rec_reader_new(FILE *in, int nul, const char *name);

/*
 * Read the next record and split it into exactly n fields (n >= 1): the
 * first n - 1 end at a TAB, the last takes the rest of the record, TABs
 * included.  fields[] then points into the reader's buffer, valid until the
 * next call.  Returns 1 for a record, 0 at end of input, -1 on a read error
 * or a malformed record (fewer than n fields, an empty last field, or an
 * unterminated last record), reported once with the record number.
 */
int rec_reader_next(struct rec_reader *r, size_t n, char **fields);

/*
 * Read the next record whole, without splitting: *rec points into the
 * reader's buffer (NUL-terminated), *len is its length.  Returns as
 * rec_reader_next().
 */
int rec_reader_raw(struct rec_reader *r, char **rec, size_t *len);

/* Number of the record last read, counting from 1. */
size_t rec_reader_number(const struct rec_reader *r);

/* Free the reader; NULL is a no-op. */
void rec_reader_free(struct rec_reader *r);

/*
 * Split the string rec in place into exactly n fields as rec_reader_next()
 * does.  Returns 0, or -1 if it has fewer than n fields (nothing printed).
 */
int rec_split(char *rec, size_t n, char **fields);

/*
 * Write one record of n fields joined by TAB and ended by NUL (nul) or
 * newline.  In newline mode a field holding TAB or newline, and in any mode
 * a field other than the last holding TAB, is refused: -1, reported naming
 * the record by its last field (the path), quoted with rec_quote().
 * Returns 0, or -1 on a refused field or a write error (reported).
 */
int rec_write(FILE *out, int nul, size_t n, const char *const *fields);

/*
 * Bytes of the UTF-8 character that s starts: 1 to 4, or 0 if s does not
 * start a well-formed one (RFC 3629: an overlong form, a surrogate, a code
 * point beyond U+10FFFF, a stray or missing continuation byte) or is at
 * its NUL.  *cp gets the code point.
 */
size_t rec_utf8_char(const char *s, uint32_t *cp);

/* 1 if s (NUL-terminated) is UTF-8 throughout. */
int rec_utf8_valid(const char *s);

/*
 * Room rec_quote() needs for any path (4 bytes out per byte in, PATH_MAX
 * bytes in).
 */
#define REC_QUOTE_MAX	(4 * 4096 + 1)

/*
 * s quoted for a message on a terminal, so that a name holding TAB,
 * newline or bytes that are not UTF-8 shows what it is and cannot move
 * the cursor: printable UTF-8 as it is, '\' as "\\", TAB, newline and
 * CR as "\t", "\n", "\r", and every byte of any other control character
 * (C0, DEL, C1, the line separators and bidirectional controls) or of a
 * sequence that is not UTF-8 as "\xHH".  Written into buf of size bytes
 * (at least 8), ending in "..." when it does not fit; returns buf.
 */
const char *rec_quote(const char *s, char *buf, size_t size);

/*
 * A cb-s3put result record (cb-transfer(5)):
 *
 *	STATUS RAW STORED SHA256 ETAG KEY <input fields>
 *
 * with, as the driver gives it, a cb-list file record as the input fields
 * (SIZE MTIME_NS INODE PATH; REC_XFER_FIELDS in all).  The strings point
 * into the reader's buffer, valid until its next call.
 */
#define REC_XFER_FIELDS	10

struct xfer_rec {
	const char	*status;	/* "ok", "reused", "hashed", or an error */
	int		 ok;		/* the file is in the object KEY: status
					   "ok" (uploaded now), "reused" or
					   "hashed" (an object stored before,
					   cb-manifest reuse) */
	int		 reused;	/* status "reused" or "hashed" */
	int		 opened;	/* the file was read: "ok" or "hashed" */
	uint64_t	 raw;		/* bytes read; 0 if "-" */
	uint64_t	 stored;	/* bytes of the object; 0 if "-" */
	const char	*sha256;	/* 64 lowercase hex digits, or "-" */
	const char	*etag;		/* without quotes, or "-" */
	const char	*key;
	int		 file;		/* the input is a cb-list file record */
	uint64_t	 size;		/* these three only if file */
	int64_t		 mtime_ns;	/* negative before 1970 */
	uint64_t	 inode;
	const char	*path;		/* the last input field */
};

/*
 * Read the next result record of n fields (n > 6: six result fields and
 * n - 6 input fields; n == REC_XFER_FIELDS: a cb-list file record, whose
 * SIZE, MTIME_NS and INODE are read too) into *x.  Every field is
 * checked: STATUS a word of letters and digits; RAW and STORED decimal,
 * SHA256 64 lowercase hex digits and ETAG not empty, where STATUS is "ok",
 * "reused" or "hashed" (otherwise each may be "-"); KEY and PATH not empty; SIZE and INODE
 * unsigned and MTIME_NS signed decimal.  Returns as rec_reader_next(); a
 * malformed field is reported naming the record and the field.
 */
int rec_read_xfer(struct rec_reader *r, size_t n, struct xfer_rec *x);

/*
 * Check the n fields f[] of a result record as rec_read_xfer() does and
 * fill *x.  Returns NULL, or the name of the first bad field (nothing
 * printed).
 */
const char *rec_parse_xfer(char **f, size_t n, struct xfer_rec *x);

#endif
