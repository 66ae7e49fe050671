/*
 * libFuzzer target for the shared credentials and config files (the INI
 * reader awscred_ini_get, and the region and endpoint lookups above it).
 */

#include "awscred.h"
#include "fuzz_util.h"

static const char *const look[][2] = {
	{ "default", "aws_access_key_id" },
	{ "default", "aws_secret_access_key" },
	{ "profile p", "region" },
	{ "profile p", "services" },
	{ "services s", "s3.endpoint_url" },
	{ "p", NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const char *path = fuzz_file(data, size);
	size_t i;

	if (!init) {
		unsetenv("AWS_REGION");
		unsetenv("AWS_DEFAULT_REGION");
		unsetenv("AWS_ENDPOINT_URL_S3");
		unsetenv("AWS_ENDPOINT_URL");
		unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
		setenv("AWS_CONFIG_FILE", path, 1);
		init = 1;
	}
	for (i = 0; i < sizeof(look) / sizeof(look[0]); i++)
		free(awscred_ini_get(path, look[i][0], look[i][1]));
	free(awscred_region(NULL, "p"));
	free(awscred_region(NULL, NULL));
	free(awscred_endpoint(NULL, "p"));
	free(awscred_endpoint(NULL, NULL));
	return (0);
}
