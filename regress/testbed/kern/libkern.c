/*
 * libkern.c: string and memory routines.  They are used by the kernel
 * and, having the same semantics as the libc functions, by user code too.
 */

#include <sys/types.h>
#include <lib/libkern/libkern.h>

void *
memcpy(void *dst, const void *src, size_t len)
{
	void *d = dst;

	__asm volatile("rep movsb"
	    : "+D" (d), "+S" (src), "+c" (len) : : "memory");
	return (dst);
}

void *
memmove(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + len)
		return (memcpy(dst, src, len));
	/* Overlap with dst above src: copy backwards. */
	d += len - 1;
	s += len - 1;
	__asm volatile("std; rep movsb; cld"
	    : "+D" (d), "+S" (s), "+c" (len) : : "memory");
	return (dst);
}

void *
memset(void *dst, int c, size_t len)
{
	void *d = dst;

	__asm volatile("rep stosb"
	    : "+D" (d), "+c" (len) : "a" (c) : "memory");
	return (dst);
}

int
memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;

	for (; len > 0; len--, p++, q++)
		if (*p != *q)
			return (*p - *q);
	return (0);
}

void *
memchr(const void *s, int c, size_t len)
{
	const unsigned char *p = s;

	for (; len > 0; len--, p++)
		if (*p == (unsigned char)c)
			return ((void *)(uintptr_t)p);
	return (NULL);
}

int
bcmp(const void *a, const void *b, size_t len)
{
	return (memcmp(a, b, len) != 0);
}

void
bcopy(const void *src, void *dst, size_t len)
{
	memmove(dst, src, len);
}

void
bzero(void *dst, size_t len)
{
	memset(dst, 0, len);
}

void
explicit_bzero(void *dst, size_t len)
{
	memset(dst, 0, len);
	__asm volatile("" : : "r" (dst) : "memory");
}

int
timingsafe_bcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;
	int diff = 0;

	while (len-- > 0)
		diff |= *p++ ^ *q++;
	return (diff != 0);
}

size_t
strlen(const char *s)
{
	const char *p = s;

	while (*p != '\0')
		p++;
	return (p - s);
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return (n);
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size != 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}

size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = strnlen(dst, size);

	if (dlen == size)
		return (size + strlen(src));
	return (dlen + strlcpy(dst + dlen, src, size - dlen));
}

int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return ((unsigned char)*a - (unsigned char)*b);
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return ((unsigned char)*a - (unsigned char)*b);
		if (*a == '\0')
			break;
	}
	return (0);
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

int
strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		int d = lower((unsigned char)*a) - lower((unsigned char)*b);

		if (d != 0)
			return (d);
		if (*a == '\0')
			break;
	}
	return (0);
}

int
strcasecmp(const char *a, const char *b)
{
	return (strncasecmp(a, b, (size_t)-1));
}

char *
strcpy(char *dst, const char *src)
{
	memcpy(dst, src, strlen(src) + 1);
	return (dst);
}

char *
strncpy(char *dst, const char *src, size_t n)
{
	size_t len = strnlen(src, n);

	memcpy(dst, src, len);
	memset(dst + len, 0, n - len);
	return (dst);
}

char *
strcat(char *dst, const char *src)
{
	strcpy(dst + strlen(dst), src);
	return (dst);
}

char *
strncat(char *dst, const char *src, size_t n)
{
	char *d = dst + strlen(dst);
	size_t len = strnlen(src, n);

	memcpy(d, src, len);
	d[len] = '\0';
	return (dst);
}

char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return ((char *)(uintptr_t)s);
		if (*s == '\0')
			return (NULL);
	}
}

char *
strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return ((char *)(uintptr_t)last);
	}
}

char *
strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncmp(hay, needle, n) == 0)
			return ((char *)(uintptr_t)hay);
	return (n == 0 ? (char *)(uintptr_t)hay : NULL);
}

size_t
strspn(const char *s, const char *accept)
{
	size_t n = 0;

	while (s[n] != '\0' && strchr(accept, s[n]) != NULL)
		n++;
	return (n);
}

size_t
strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] != '\0' && strchr(reject, s[n]) == NULL)
		n++;
	return (n);
}

char *
strsep(char **sp, const char *delim)
{
	char *s = *sp, *e;

	if (s == NULL)
		return (NULL);
	e = s + strcspn(s, delim);
	if (*e != '\0') {
		*e = '\0';
		*sp = e + 1;
	} else
		*sp = NULL;
	return (s);
}

int
ffs(int v)
{
	return (v == 0 ? 0 : __builtin_ctz((unsigned int)v) + 1);
}

int
fls(unsigned int v)
{
	return (v == 0 ? 0 : 32 - __builtin_clz(v));
}

int
flsl(unsigned long v)
{
	return (v == 0 ? 0 : 64 - __builtin_clzl(v));
}

/*
 * A deterministic generator stands in for arc4random(9): runs must be
 * reproducible.
 */
static uint64_t tb_rngstate = 0x9e3779b97f4a7c15ULL;

u_int32_t
arc4random(void)
{
	uint64_t x = tb_rngstate;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	tb_rngstate = x;
	return ((u_int32_t)(x >> 16));
}

void
arc4random_buf(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len-- > 0)
		*p++ = arc4random() & 0xff;
}

u_int32_t
arc4random_uniform(u_int32_t bound)
{
	return (bound < 2 ? 0 : arc4random() % bound);
}
