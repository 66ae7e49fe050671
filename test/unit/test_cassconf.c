#include <stdlib.h>
#include <string.h>

#include "cassconf.h"
#include "unit.h"

static struct cassconf *
parse(const char *y, int want)
{
	struct cassconf *c = NULL;

	EXPECT(cassconf_parse(y, strlen(y), "t.yaml", &c) == want);
	return (c);
}

static void
t_block_list(void)
{
	struct cassconf *c = parse("cluster_name: 'Prod'\n"
	    "data_file_directories:\n    - /d1/\n    - /d2\n"
	    "incremental_backups: true\nnative_transport_port: 9142\n"
	    "rpc_address: 10.0.0.1\n", 0);

	EXPECT(c != NULL && c->ndata_dirs == 2 && !c->data_dirs_default);
	EXPECT_STR(c->data_dirs[0], "/d1");
	EXPECT_STR(c->data_dirs[1], "/d2");
	EXPECT(c->incremental_backups == 1);
	EXPECT(c->native_transport_port == 9142);
	EXPECT_STR(c->cluster_name, "Prod");
	EXPECT_STR(c->rpc_address, "10.0.0.1");
	cassconf_free(c);
}

static void
t_flow_list_and_bools(void)
{
	struct cassconf *c = parse("data_file_directories: [/a, \"/b\"]\n"
	    "incremental_backups: Off\nother: {x: [1, 2]}\n", 0);

	EXPECT(c != NULL && c->ndata_dirs == 2);
	EXPECT_STR(c->data_dirs[1], "/b");
	EXPECT(c->incremental_backups == 0);
	cassconf_free(c);
	c = parse("incremental_backups: yes\n", 0);
	EXPECT(c != NULL && c->incremental_backups == 1);
	cassconf_free(c);
}

static void
t_defaults(void)
{
	static const char *const ys[] = { "", "# nothing\n",
	    "data_file_directories:\n", "data_file_directories: []\n",
	    "data_file_directories: ~\n", NULL };
	struct cassconf *c;
	size_t i;

	for (i = 0; ys[i] != NULL; i++) {
		c = parse(ys[i], 0);
		EXPECT(c != NULL && c->ndata_dirs == 1 && c->data_dirs_default);
		if (c != NULL)
			EXPECT_STR(c->data_dirs[0], CASSCONF_DEFAULT_DATA_DIR);
		EXPECT(c == NULL || c->incremental_backups == 0);
		cassconf_free(c);
	}
}

static void
t_malformed(void)
{

	EXPECT(parse("data_file_directories: [/a\n", CASSCONF_EDATA) == NULL);
	EXPECT(parse("- a\n- b\n", CASSCONF_EDATA) == NULL);
	EXPECT(parse("data_file_directories: /a\n", CASSCONF_EDATA) == NULL);
	EXPECT(parse("data_file_directories: [rel/dir]\n",
	    CASSCONF_EDATA) == NULL);
	EXPECT(parse("incremental_backups: maybe\n", CASSCONF_EDATA) == NULL);
	EXPECT(parse("native_transport_port: 99999\n", CASSCONF_EDATA) == NULL);
	/* a repeated list (found by fuzz_cassconf: it overran the array) */
	EXPECT(parse("data_file_directories: [/a]\n"
	    "data_file_directories: [/b, /c]\n", CASSCONF_EDATA) == NULL);
}

static void
t_local_system(void)
{
	struct cassconf *c = parse("local_system_data_file_directory: /sys/\n",
	    0);

	EXPECT(c != NULL && c->local_system_dir != NULL);
	if (c != NULL)
		EXPECT_STR(c->local_system_dir, "/sys");
	cassconf_free(c);
	cassconf_free(NULL);
}

int
main(void)
{

	TEST(t_block_list);
	TEST(t_flow_list_and_bools);
	TEST(t_defaults);
	TEST(t_malformed);
	TEST(t_local_system);
	return (unit_done());
}
