#include <stdlib.h>
#include <string.h>

#include "nodetool.h"
#include "unit.h"

static void
t_info_tokens(void)
{
	struct nodetool_topo t;

	memset(&t, 0, sizeof(t));
	EXPECT(nodetool_parse_info(
	    "ID                     : 4b4e0c2a-0000-4000-8000-00000000000a\n"
	    "Gossip active          : true\n"
	    "Data Center            : dc east\n"
	    "Rack                   : r1\n"
	    "Token                  : -9223372036854775808\n"
	    "Token                  : 42\n", &t) == 0);
	EXPECT_STR(t.host_id, "4b4e0c2a-0000-4000-8000-00000000000a");
	EXPECT_STR(t.datacenter, "dc east");
	EXPECT_STR(t.rack, "r1");
	EXPECT(t.ntokens == 2);
	if (t.ntokens == 2)
		EXPECT_STR(t.tokens[0], "-9223372036854775808");
	nodetool_topo_free(&t);
	EXPECT(nodetool_parse_info("Token : (invoke with -T/--tokens to see "
	    "all 16 tokens)\nRack:r2", &t) == 0);
	EXPECT(t.ntokens == 0);
	EXPECT_STR(t.rack, "r2");
	nodetool_topo_free(&t);
}

static void
t_version_cluster_status(void)
{
	struct nodetool_topo t;

	memset(&t, 0, sizeof(t));
	EXPECT(nodetool_parse_version("ReleaseVersion: 5.0.2\n", &t) == 0);
	EXPECT_STR(t.version, "5.0.2");
	EXPECT(nodetool_parse_describecluster("Cluster Information:\n"
	    "\tName: Prod Cluster\n\tSnitch: x\n\tPartitioner: "
	    "org.apache.cassandra.dht.Murmur3Partitioner\n\tSchema versions:\n"
	    "\t\tb3fa7aa7-e1fa-49d7-8c7e-134f5dfbd3d1: [10.0.0.1, 10.0.0.2]\n"
	    "\n", &t) == 0);
	EXPECT_STR(t.cluster_name, "Prod Cluster");
	EXPECT_STR(t.schema_version, "b3fa7aa7-e1fa-49d7-8c7e-134f5dfbd3d1");
	t.host_id = strdup("22222222-0000-4000-8000-000000000000");
	EXPECT(nodetool_parse_status("Datacenter: dc1\n=======\n"
	    "--  Address   Load       Tokens  Owns  Host ID  Rack\n"
	    "UN  10.0.0.1  1.2 GiB    16      33%   11111111-0000-4000-8000-"
	    "000000000000  r1\n"
	    "DN  10.0.0.2  ?          16      33%   22222222-0000-4000-8000-"
	    "000000000000  r1\n", &t) == 0);
	EXPECT_STR(t.address, "10.0.0.2");
	nodetool_topo_free(&t);
	nodetool_topo_free(NULL);
}

int
main(void)
{

	TEST(t_info_tokens);
	TEST(t_version_cluster_status);
	return (unit_done());
}
