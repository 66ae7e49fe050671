#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cql.h"
#include "strbuf.h"
#include "unit.h"

/*
 * The statements of script s joined by " | ", each prefixed by its line
 * ("3:CREATE ..."), or "ERR" if the split refuses it.
 */
static char *
split(const char *s)
{
	static char out[4096];
	struct cql_split sp;
	struct cql_stmt st;
	size_t n = 0;
	int rc;

	out[0] = '\0';
	cql_split_init(&sp, s, strlen(s), "test");
	while ((rc = cql_split_next(&sp, &st)) == 1)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%zu:%.*s",
		    n ? " | " : "", st.line, (int)st.len, st.text);
	if (rc < 0)
		snprintf(out, sizeof(out), "ERR");
	return (out);
}

static void
t_split_plain(void)
{

	EXPECT_STR(split(""), "");
	EXPECT_STR(split("\n\n  \n"), "");
	EXPECT_STR(split("a;b;"), "1:a | 1:b");
	EXPECT_STR(split("\n\nCREATE TABLE ks.t (\n    id int\n) WITH x = 1;"
	    "\n\nCREATE INDEX i ON ks.t (v);\n"),
	    "3:CREATE TABLE ks.t (\n    id int\n) WITH x = 1 | "
	    "7:CREATE INDEX i ON ks.t (v)");
	EXPECT_STR(split(";;  a ; ;b;"), "1:a | 1:b");
	/* blank lines and blanks around a statement are dropped */
	EXPECT_STR(split("  \t x  y \t\n ;"), "1:x  y");
}

static void
t_split_quotes(void)
{

	EXPECT_STR(split("a 'x;y' b; c;"), "1:a 'x;y' b | 1:c");
	EXPECT_STR(split("a 'it''s; here' b;"), "1:a 'it''s; here' b");
	EXPECT_STR(split("a '' ; b '''' ; c ''';''' ;"),
	    "1:a '' | 1:b '''' | 1:c ''';'''");
	EXPECT_STR(split("a \"q;\"\"x\" b;"), "1:a \"q;\"\"x\" b");
	EXPECT_STR(split("CREATE TABLE \"ks.a\".\"t;b\" (x int);"),
	    "1:CREATE TABLE \"ks.a\".\"t;b\" (x int)");
	/* a quote of the other kind inside does not close */
	EXPECT_STR(split("a '\"' \"'\";b;"), "1:a '\"' \"'\" | 1:b");
	EXPECT_STR(split("a 'x;"), "ERR");
	EXPECT_STR(split("a 'x'';"), "ERR");
	EXPECT_STR(split("a \"x;"), "ERR");
}

static void
t_split_dollar(void)
{

	EXPECT_STR(split("CREATE FUNCTION ks.f(a int) RETURNS NULL ON NULL "
	    "INPUT RETURNS int LANGUAGE java AS $$ int b = a; return b; $$;"
	    "\nx;"),
	    "1:CREATE FUNCTION ks.f(a int) RETURNS NULL ON NULL INPUT "
	    "RETURNS int LANGUAGE java AS $$ int b = a; return b; $$ | 2:x");
	/* nothing is escaped in $$ and quotes do not count there */
	EXPECT_STR(split("a $$ ' \" -- /* ; $$ b;"),
	    "1:a $$ ' \" -- /* ; $$ b");
	EXPECT_STR(split("a $$\n;\n$$;\nb;"), "1:a $$\n;\n$$ | 4:b");
	EXPECT_STR(split("a $ b;"), "1:a $ b");
	EXPECT_STR(split("a $$ x;"), "ERR");
}

static void
t_split_comments(void)
{

	EXPECT_STR(split("-- a; 'b\nx; // c; \"d\n y;"), "2:x | 3:y");
	EXPECT_STR(split("/* a; 'b\n */ x /* ; */ y; z;"),
	    "2:x /* ; */ y | 2:z");
	/* a comment after the last token is not part of the statement,
	 * so a ';' written after it cannot end up commented out */
	EXPECT_STR(split("x -- c\n;"), "1:x");
	EXPECT_STR(split("x /* c */ ;"), "1:x");
	EXPECT_STR(split("x --\n y;"), "1:x --\n y");
	EXPECT_STR(split("a 5-3 b/2;"), "1:a 5-3 b/2");
	EXPECT_STR(split("-- only a comment\n"), "");
	EXPECT_STR(split("x /* ; "), "ERR");
	EXPECT_STR(split("/* a */ /* b"), "ERR");
	/* the final statement needs its ';' */
	EXPECT_STR(split("a; b"), "ERR");
	EXPECT_STR(split("a; b -- c;"), "ERR");
}

/* classify text: "kind ks name table ine replace", "-" for NULL. */
static char *
cls(const char *text)
{
	static char out[512];
	struct cql_info ci;

	if (cql_classify(text, strlen(text), &ci) != 0)
		return ("ENOMEM");
	snprintf(out, sizeof(out), "%s|%s|%s|%s|%d%d",
	    cql_kind_name(ci.kind), ci.keyspace ? ci.keyspace : "-",
	    ci.name ? ci.name : "-", ci.table ? ci.table : "-",
	    ci.if_not_exists, ci.or_replace);
	cql_info_clear(&ci);
	return (out);
}

static void
t_classify(void)
{

	EXPECT_STR(cls("CREATE KEYSPACE ks1 WITH replication = {'a': 1}"),
	    "keyspace|ks1|ks1|-|00");
	EXPECT_STR(cls("create schema IF NOT EXISTS Ks1 WITH x"),
	    "keyspace|ks1|ks1|-|10");
	EXPECT_STR(cls("CREATE TYPE ks1.addr (street text)"),
	    "type|ks1|addr|-|00");
	EXPECT_STR(cls("CREATE FUNCTION ks1.f(a int) RETURNS int LANGUAGE "
	    "java AS $$return a;$$"), "function|ks1|f|-|00");
	EXPECT_STR(cls("CREATE OR REPLACE FUNCTION ks1.f(a int) AS $$x$$"),
	    "function|ks1|f|-|01");
	EXPECT_STR(cls("Create Or Replace Aggregate ks1.agg(int) SFUNC f "
	    "STYPE int"), "aggregate|ks1|agg|-|01");
	EXPECT_STR(cls("CREATE AGGREGATE IF NOT EXISTS ks1.agg(int)"),
	    "aggregate|ks1|agg|-|10");
	EXPECT_STR(cls("CREATE TABLE ks1.users (id uuid PRIMARY KEY)"),
	    "table|ks1|users|-|00");
	EXPECT_STR(cls("CREATE COLUMNFAMILY ks1.users (id uuid PRIMARY KEY)"),
	    "table|ks1|users|-|00");
	EXPECT_STR(cls("cReAtE tAbLe iF nOt ExIsTs KS1.Users (id int)"),
	    "table|ks1|users|-|10");
	EXPECT_STR(cls("CREATE INDEX users_by_email ON ks1.users (email)"),
	    "index|ks1|users_by_email|users|00");
	EXPECT_STR(cls("CREATE CUSTOM INDEX IF NOT EXISTS s ON ks1.users "
	    "(name) USING 'sai'"), "index|ks1|s|users|10");
	EXPECT_STR(cls("CREATE INDEX ON ks1.users (email)"),
	    "index|ks1|-|users|00");
	EXPECT_STR(cls("CREATE INDEX IF NOT EXISTS ON ks1.users (email)"),
	    "index|ks1|-|users|10");
	EXPECT_STR(cls("CREATE MATERIALIZED VIEW ks1.by_email AS\n"
	    "    SELECT email, \"from\", id\n    FROM ks1.users\n"
	    "    WHERE email IS NOT NULL AND id IS NOT NULL\n"
	    "    PRIMARY KEY (email, id)\n WITH comment = 'from x'"),
	    "materialized view|ks1|by_email|users|00");
	EXPECT_STR(cls("CREATE MATERIALIZED VIEW ks1.v AS SELECT * FROM t "
	    "WHERE k IS NOT NULL PRIMARY KEY (k)"),
	    "materialized view|ks1|v|t|00");
}

static void
t_classify_quoted(void)
{

	EXPECT_STR(cls("CREATE KEYSPACE \"MyKs\" WITH x"),
	    "keyspace|MyKs|MyKs|-|00");
	EXPECT_STR(cls("CREATE TABLE \"My.Ks\".\"Ta\"\"b;le\" (x int)"),
	    "table|My.Ks|Ta\"b;le|-|00");
	EXPECT_STR(cls("CREATE TABLE \"ks\" . t (x int)"),
	    "table|ks|t|-|00");
	EXPECT_STR(cls("CREATE INDEX \"Idx\" ON \"Ks\".\"T\" (\"C\")"),
	    "index|Ks|Idx|T|00");
	EXPECT_STR(cls("CREATE MATERIALIZED VIEW \"Ks\".\"V\" AS SELECT * "
	    "FROM \"Ks\".\"Base\" WHERE k IS NOT NULL PRIMARY KEY (k)"),
	    "materialized view|Ks|V|Base|00");
	/* a comment between the words */
	EXPECT_STR(cls("CREATE /* x */ TABLE -- y\n ks.t (x int)"),
	    "table|ks|t|-|00");
}

static void
t_classify_other(void)
{

	EXPECT_STR(cls("ALTER TABLE ks1.t DROP x USING TIMESTAMP 1"),
	    "other|-|-|-|00");
	EXPECT_STR(cls("GRANT SELECT ON ks1.t TO r"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE ROLE r WITH LOGIN = true"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE USER u"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE TRIGGER tr ON ks1.t USING 'c'"),
	    "other|-|-|-|00");
	EXPECT_STR(cls("CREATE OR REPLACE TABLE ks.t (x int)"),
	    "other|-|-|-|00");
	/* no keyspace named: the script could not say where it goes */
	EXPECT_STR(cls("CREATE TABLE t (x int)"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE INDEX i ON t (x)"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE TABLE IF EXISTS ks.t (x int)"),
	    "other|-|-|-|00");
	EXPECT_STR(cls("CREATE CUSTOM TABLE ks.t"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE MATERIALIZED ks.t"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE MATERIALIZED VIEW ks.v AS SELECT * FROM "
	    "other.t"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE MATERIALIZED VIEW ks.v AS SELECT x"),
	    "other|-|-|-|00");
	EXPECT_STR(cls("CREATE KEYSPACE"), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE TABLE ks."), "other|-|-|-|00");
	EXPECT_STR(cls("CREATE"), "other|-|-|-|00");
	EXPECT_STR(cls(""), "other|-|-|-|00");
	EXPECT_STR(cls("SELECT * FROM ks.t"), "other|-|-|-|00");
}

/* text as cql_put_if_not_exists() writes it. */
static char *
ine(const char *text)
{
	static char out[512];
	struct strbuf b = STRBUF_INIT;
	struct cql_info ci;

	if (cql_classify(text, strlen(text), &ci) != 0)
		return ("ENOMEM");
	cql_put_if_not_exists(&b, text, strlen(text), &ci);
	snprintf(out, sizeof(out), "%s", strbuf_failed(&b) ? "FAILED" : b.s);
	strbuf_free(&b);
	cql_info_clear(&ci);
	return (out);
}

static void
t_if_not_exists(void)
{

	EXPECT_STR(ine("CREATE KEYSPACE ks WITH x"),
	    "CREATE KEYSPACE IF NOT EXISTS ks WITH x");
	EXPECT_STR(ine("CREATE TYPE ks.a (b int)"),
	    "CREATE TYPE IF NOT EXISTS ks.a (b int)");
	EXPECT_STR(ine("CREATE FUNCTION ks.f(a int) AS $$x$$"),
	    "CREATE FUNCTION IF NOT EXISTS ks.f(a int) AS $$x$$");
	EXPECT_STR(ine("CREATE AGGREGATE ks.g(int) SFUNC f STYPE int"),
	    "CREATE AGGREGATE IF NOT EXISTS ks.g(int) SFUNC f STYPE int");
	EXPECT_STR(ine("CREATE TABLE \"Ks\".t (\n  x int\n)"),
	    "CREATE TABLE IF NOT EXISTS \"Ks\".t (\n  x int\n)");
	EXPECT_STR(ine("create  custom\n index i ON ks.t (x) USING 'sai'"),
	    "create  custom\n index IF NOT EXISTS i ON ks.t (x) USING 'sai'");
	EXPECT_STR(ine("CREATE INDEX ON ks.t (x)"),
	    "CREATE INDEX IF NOT EXISTS ON ks.t (x)");
	EXPECT_STR(ine("CREATE MATERIALIZED VIEW ks.v AS SELECT * FROM ks.t"),
	    "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.v AS SELECT * "
	    "FROM ks.t");
	/* already there, or not possible: as it is */
	EXPECT_STR(ine("CREATE TABLE if not exists ks.t (x int)"),
	    "CREATE TABLE if not exists ks.t (x int)");
	EXPECT_STR(ine("CREATE INDEX IF NOT EXISTS i ON ks.t (x)"),
	    "CREATE INDEX IF NOT EXISTS i ON ks.t (x)");
	EXPECT_STR(ine("CREATE OR REPLACE FUNCTION ks.f(a int) AS $$x$$"),
	    "CREATE OR REPLACE FUNCTION ks.f(a int) AS $$x$$");
	EXPECT_STR(ine("ALTER TABLE ks.t ADD x int"), "ALTER TABLE ks.t ADD x int");
}

int
main(void)
{

	TEST(t_split_plain);
	TEST(t_split_quotes);
	TEST(t_split_dollar);
	TEST(t_split_comments);
	TEST(t_classify);
	TEST(t_classify_quoted);
	TEST(t_classify_other);
	TEST(t_if_not_exists);
	return (unit_done());
}
