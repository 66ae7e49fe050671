#include <string.h>

#include <expat.h>

#include "strbuf.h"
#include "xmlwalk.h"

struct walk {
	XML_Parser	 p;
	struct strbuf	 path;
	struct strbuf	 text;
	xmlwalk_fn	*fn;
	void		*cookie;
	char		*root;
	size_t		 rootsize;
	int		 failed;
};

/* Element names without a namespace prefix ("s3:Key" -> "Key"). */
static const char *
local(const char *name)
{
	const char *c = strrchr(name, ':');

	return (c != NULL ? c + 1 : name);
}

static void XMLCALL
start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct walk *w = ud;

	(void)attrs;
	if (w->path.len == 0 && w->root != NULL && w->rootsize > 0) {
		strncpy(w->root, local(name), w->rootsize - 1);
		w->root[w->rootsize - 1] = '\0';
	}
	if (w->path.len > 0)
		strbuf_addc(&w->path, '/');
	strbuf_adds(&w->path, local(name));
	strbuf_reset(&w->text);
}

static void XMLCALL
end(void *ud, const XML_Char *name)
{
	struct walk *w = ud;
	char *slash;

	(void)name;
	if (strbuf_failed(&w->path) || strbuf_failed(&w->text) ||
	    w->fn(w->cookie, w->path.s, w->text.s ? w->text.s : "",
	    w->text.len) != 0) {
		w->failed = 1;
		XML_StopParser(w->p, XML_FALSE);
		return;
	}
	strbuf_reset(&w->text);
	slash = strrchr(w->path.s, '/');
	w->path.len = slash != NULL ? (size_t)(slash - w->path.s) : 0;
	w->path.s[w->path.len] = '\0';
}

static void XMLCALL
chardata(void *ud, const XML_Char *s, int len)
{
	struct walk *w = ud;

	strbuf_add(&w->text, s, (size_t)len);
}

int
xmlwalk(const char *doc, size_t len, xmlwalk_fn *fn, void *cookie,
    char *root, size_t rootsize)
{
	struct walk w;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.cookie = cookie;
	w.root = root;
	w.rootsize = rootsize;
	if (root != NULL && rootsize > 0)
		root[0] = '\0';
	/*
	 * S3 may answer 200 at once and send white space while it works
	 * (CompleteMultipartUpload, CopyObject), then the document; expat
	 * refuses anything before "<?xml".
	 */
	while (len > 0 && (*doc == ' ' || *doc == '\t' || *doc == '\r' ||
	    *doc == '\n')) {
		doc++;
		len--;
	}
	if ((w.p = XML_ParserCreate(NULL)) == NULL)
		return (-1);
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, start, end);
	XML_SetCharacterDataHandler(w.p, chardata);
	if (XML_Parse(w.p, doc, (int)len, XML_TRUE) != XML_STATUS_OK ||
	    w.failed)
		rc = -1;
	XML_ParserFree(w.p);
	strbuf_free(&w.path);
	strbuf_free(&w.text);
	return (rc);
}
