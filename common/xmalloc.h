/* xmalloc.h: allocation that never returns NULL (out of memory is fatal). */
#ifndef JDP_XMALLOC_H
#define JDP_XMALLOC_H

#include <stddef.h>

/* Allocate size bytes; fatal on failure. Caller frees. */
void *xmalloc(size_t);
/* Allocate nmemb zeroed elements; fatal on failure. Caller frees. */
void *xcalloc(size_t, size_t);
/* Resize to nmemb * size bytes, checking for overflow. Caller frees. */
void *xreallocarray(void *, size_t, size_t);
/* Duplicate a string. Caller frees. */
char *xstrdup(const char *);
/* Duplicate at most n bytes of a string, NUL-terminated. Caller frees. */
char *xstrndup(const char *, size_t);
/* Format into a new string; returns its length. Caller frees *ret. */
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif
