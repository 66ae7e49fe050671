#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cql.h"
#include "warnp.h"

enum tok_type { T_END, T_WORD, T_QIDENT, T_STRING, T_PUNCT };

struct tok {
	enum tok_type	 type;
	size_t		 off, len;	/* in the text lexed */
	size_t		 line;		/* where it starts */
};

/* A lexer over s[0..len); the error, if any, in what (at line). */
struct lex {
	const char	*s;
	size_t		 len, pos, line;
	const char	*what;
};

static int
is_word(int c)
{

	return (isalnum(c) || c == '_');
}

static int
at(const struct lex *l, size_t i, int c)
{

	return (l->pos + i < l->len && l->s[l->pos + i] == c);
}

static void
advance(struct lex *l, size_t n)
{

	for (; n > 0 && l->pos < l->len; n--)
		if (l->s[l->pos++] == '\n')
			l->line++;
}

/* Past the end of the text l->s + pos opens, closed by end (len endlen);
 * a doubled quote (dbl) stays inside.  -1 if it is not closed. */
static int
skip_to(struct lex *l, size_t open, const char *end, int dbl)
{
	size_t el = strlen(end);

	advance(l, open);
	for (;;) {
		if (l->pos + el > l->len)
			return (-1);
		if (memcmp(l->s + l->pos, end, el) == 0) {
			if (dbl && at(l, 1, *end)) {
				advance(l, 2);
				continue;
			}
			advance(l, el);
			return (0);
		}
		advance(l, 1);
	}
}

/* Pass over blanks and comments.  -1 on a comment not closed. */
static int
skip_space(struct lex *l)
{

	while (l->pos < l->len) {
		if (isspace((unsigned char)l->s[l->pos]))
			advance(l, 1);
		else if ((at(l, 0, '-') && at(l, 1, '-')) ||
		    (at(l, 0, '/') && at(l, 1, '/'))) {
			while (l->pos < l->len && l->s[l->pos] != '\n')
				advance(l, 1);
		} else if (at(l, 0, '/') && at(l, 1, '*')) {
			if (skip_to(l, 2, "*/", 0) != 0) {
				l->what = "a comment /* is not closed";
				return (-1);
			}
		} else
			break;
	}
	return (0);
}

/* The next token into *t (T_END at the end).  -1 on one not closed. */
static int
lex_next(struct lex *l, struct tok *t)
{
	size_t line;
	int rc = 0;

	if (skip_space(l) != 0)
		return (-1);
	line = t->line = l->line;
	t->off = l->pos;
	if (l->pos >= l->len)
		t->type = T_END;
	else if (at(l, 0, '\'')) {
		t->type = T_STRING;
		if ((rc = skip_to(l, 1, "'", 1)) != 0)
			l->what = "a string ' is not closed";
	} else if (at(l, 0, '$') && at(l, 1, '$')) {
		t->type = T_STRING;
		if ((rc = skip_to(l, 2, "$$", 0)) != 0)
			l->what = "a string $$ is not closed";
	} else if (at(l, 0, '"')) {
		t->type = T_QIDENT;
		if ((rc = skip_to(l, 1, "\"", 1)) != 0)
			l->what = "a quoted identifier \" is not closed";
	} else if (is_word((unsigned char)l->s[l->pos])) {
		t->type = T_WORD;
		while (l->pos < l->len && is_word((unsigned char)l->s[l->pos]))
			advance(l, 1);
	} else {
		t->type = T_PUNCT;
		advance(l, 1);
	}
	if (rc != 0)
		l->line = line;		/* report where it opened */
	t->len = l->pos - t->off;
	return (rc);
}

void
cql_split_init(struct cql_split *sp, const char *s, size_t len,
    const char *name)
{

	sp->s = s;
	sp->len = len;
	sp->pos = 0;
	sp->line = 1;
	sp->name = name;
}

int
cql_split_next(struct cql_split *sp, struct cql_stmt *st)
{
	struct lex l = { sp->s, sp->len, sp->pos, sp->line, NULL };
	struct tok t;
	size_t first = 0, end = 0, line = 0;
	int n = 0;

	for (;;) {
		if (lex_next(&l, &t) != 0) {
			warn0("cannot read '%s': line %zu: %s", sp->name,
			    l.line, l.what);
			return (-1);
		}
		if (t.type == T_END && n > 0) {
			warn0("cannot read '%s': line %zu: the statement does "
			    "not end with ';'", sp->name, line);
			return (-1);
		}
		if (t.type == T_END || (t.type == T_PUNCT &&
		    sp->s[t.off] == ';' && n > 0))
			break;
		if (t.type == T_PUNCT && sp->s[t.off] == ';')
			continue;	/* an empty statement */
		if (n++ == 0) {
			first = t.off;
			line = t.line;
		}
		end = t.off + t.len;
	}
	sp->pos = l.pos;
	sp->line = l.line;
	if (n == 0)
		return (0);
	st->text = sp->s + first;
	st->len = end - first;
	st->line = line;
	return (1);
}

/* ------------------------------------------------------------ classify */

static int
word_is(const struct lex *l, const struct tok *t, const char *w)
{

	return (t->type == T_WORD && t->len == strlen(w) &&
	    strncasecmp(l->s + t->off, w, t->len) == 0);
}

static int
punct_is(const struct lex *l, const struct tok *t, int c)
{

	return (t->type == T_PUNCT && l->s[t->off] == c);
}

/* The next token, T_END for one not closed (split already refused it). */
static void
next(struct lex *l, struct tok *t)
{

	if (lex_next(l, t) != 0)
		t->type = T_END;
}

/* The name an identifier token stands for (malloc'd), or NULL (errno
 * ENOMEM; EINVAL if the token is not an identifier). */
static char *
ident(const struct lex *l, const struct tok *t)
{
	const char *p = l->s + t->off;
	char *s;
	size_t i, j;

	errno = EINVAL;
	if (t->type != T_WORD && t->type != T_QIDENT)
		return (NULL);
	if ((s = malloc(t->len + 1)) == NULL)
		return (NULL);
	if (t->type == T_WORD) {
		for (i = 0; i < t->len; i++)
			s[i] = (char)tolower((unsigned char)p[i]);
		s[t->len] = '\0';
		return (s);
	}
	for (i = 1, j = 0; i + 1 < t->len; i++) {
		s[j++] = p[i];
		if (p[i] == '"')
			i++;		/* "" is one quote */
	}
	s[j] = '\0';
	return (s);
}

/*
 * A name [KS.]NAME starting at token *t into *ks (NULL if not qualified)
 * and *name; *t is the token after it.  Returns 0, 1 if *t is not a name,
 * or -1 out of memory.
 */
static int
qualified(struct lex *l, struct tok *t, char **ks, char **name)
{
	struct tok dot;

	*ks = *name = NULL;
	if ((*name = ident(l, t)) == NULL)
		return (errno == ENOMEM ? -1 : 1);
	next(l, &dot);
	if (!punct_is(l, &dot, '.')) {
		*t = dot;
		return (0);
	}
	next(l, t);
	*ks = *name;
	if ((*name = ident(l, t)) == NULL) {
		free(*ks);
		*ks = NULL;
		return (errno == ENOMEM ? -1 : 1);
	}
	next(l, t);
	return (0);
}

/* The kind words after CREATE [OR REPLACE] at *t; CQL_OTHER if none. */
static enum cql_kind
kind_words(struct lex *l, struct tok *t)
{
	static const struct { const char *w1, *w2; enum cql_kind k; } kw[] = {
		{ "keyspace", NULL, CQL_KEYSPACE },
		{ "schema", NULL, CQL_KEYSPACE },
		{ "type", NULL, CQL_TYPE },
		{ "function", NULL, CQL_FUNCTION },
		{ "aggregate", NULL, CQL_AGGREGATE },
		{ "table", NULL, CQL_TABLE },
		{ "columnfamily", NULL, CQL_TABLE },
		{ "index", NULL, CQL_INDEX },
		{ "custom", "index", CQL_INDEX },
		{ "materialized", "view", CQL_VIEW },
	};
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		if (!word_is(l, t, kw[i].w1))
			continue;
		if (kw[i].w2 != NULL) {
			next(l, t);
			if (!word_is(l, t, kw[i].w2))
				return (CQL_OTHER);
		}
		return (kw[i].k);
	}
	return (CQL_OTHER);
}

/* IF NOT EXISTS at *t: 1 (passed over), 0 (absent) or -1 (malformed). */
static int
if_not_exists(struct lex *l, struct tok *t)
{

	if (!word_is(l, t, "if"))
		return (0);
	next(l, t);
	if (!word_is(l, t, "not"))
		return (-1);
	next(l, t);
	if (!word_is(l, t, "exists"))
		return (-1);
	next(l, t);
	return (1);
}

/* An index: [NAME] ON [KS.]TABLE.  0, 1 (malformed) or -1 (memory). */
static int
index_target(struct lex *l, struct tok *t, struct cql_info *ci)
{
	char *ks;
	int rc;

	if (!word_is(l, t, "on")) {
		if ((rc = qualified(l, t, &ks, &ci->name)) != 0)
			return (rc);
		free(ks);		/* the table's keyspace is the one */
		if (!word_is(l, t, "on"))
			return (1);
	}
	next(l, t);
	return (qualified(l, t, &ci->keyspace, &ci->table));
}

/* A view's base table: the first FROM outside parentheses. */
static int
view_base(struct lex *l, struct tok *t, struct cql_info *ci)
{
	int depth = 0, rc;
	char *ks;

	for (; t->type != T_END; next(l, t)) {
		if (punct_is(l, t, '('))
			depth++;
		else if (punct_is(l, t, ')'))
			depth--;
		else if (depth == 0 && word_is(l, t, "from"))
			break;
	}
	if (t->type == T_END)
		return (1);
	next(l, t);
	if ((rc = qualified(l, t, &ks, &ci->table)) != 0)
		return (rc);
	if (ks != NULL && strcmp(ks, ci->keyspace) != 0) {
		free(ks);
		return (1);		/* a view is of its keyspace's table */
	}
	free(ks);
	return (0);
}

/* What comes after the kind words: 0, 1 (not one we know) or -1. */
static int
classify_rest(struct lex *l, struct tok *t, struct cql_info *ci)
{
	int rc;

	if ((rc = if_not_exists(l, t)) < 0)
		return (1);
	ci->if_not_exists = rc;
	if (ci->kind == CQL_INDEX) {
		if ((rc = index_target(l, t, ci)) != 0)
			return (rc);
		return (ci->keyspace == NULL);
	}
	if (ci->kind == CQL_KEYSPACE) {
		if ((ci->name = ident(l, t)) == NULL)
			return (errno == ENOMEM ? -1 : 1);
		if ((ci->keyspace = strdup(ci->name)) == NULL)
			return (-1);
		return (0);
	}
	if ((rc = qualified(l, t, &ci->keyspace, &ci->name)) != 0)
		return (rc);
	if (ci->keyspace == NULL)
		return (1);
	if (ci->kind == CQL_VIEW)
		return (view_base(l, t, ci));
	return (0);
}

int
cql_classify(const char *text, size_t len, struct cql_info *ci)
{
	struct lex l = { text, len, 0, 1, NULL };
	struct tok t;
	int rc;

	memset(ci, 0, sizeof(*ci));
	ci->kind = CQL_OTHER;
	next(&l, &t);
	if (!word_is(&l, &t, "create"))
		return (0);
	next(&l, &t);
	if (word_is(&l, &t, "or")) {
		next(&l, &t);
		if (!word_is(&l, &t, "replace"))
			return (0);
		ci->or_replace = 1;
		next(&l, &t);
	}
	ci->kind = kind_words(&l, &t);
	ci->kind_end = t.off + t.len;
	if (ci->kind == CQL_OTHER || (ci->or_replace &&
	    ci->kind != CQL_FUNCTION && ci->kind != CQL_AGGREGATE)) {
		cql_info_clear(ci);
		return (0);
	}
	next(&l, &t);
	if ((rc = classify_rest(&l, &t, ci)) != 0) {
		cql_info_clear(ci);
		if (rc < 0) {
			errno = ENOMEM;
			return (-1);
		}
	}
	return (0);
}

void
cql_info_clear(struct cql_info *ci)
{

	free(ci->keyspace);
	free(ci->name);
	free(ci->table);
	memset(ci, 0, sizeof(*ci));
	ci->kind = CQL_OTHER;
}

void
cql_put_if_not_exists(struct strbuf *b, const char *text, size_t len,
    const struct cql_info *ci)
{

	if (ci->kind == CQL_OTHER || ci->if_not_exists || ci->or_replace ||
	    ci->kind_end > len) {
		strbuf_add(b, text, len);
		return;
	}
	strbuf_add(b, text, ci->kind_end);
	strbuf_adds(b, " IF NOT EXISTS");
	strbuf_add(b, text + ci->kind_end, len - ci->kind_end);
}

const char *
cql_kind_name(enum cql_kind k)
{
	static const char *const names[] = { "keyspace", "type", "function",
	    "aggregate", "table", "index", "materialized view", "other" };

	return ((unsigned)k <= CQL_OTHER ? names[k] : "other");
}
