/*
 * sandbox-seccomp.c: the seccomp filter of the runner's Java processes,
 * built once with libseccomp; bwrap loads it from a pipe, and without
 * bwrap the child loads it itself.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox-int.h"
#include "xmalloc.h"

/* Syscalls no job needs; fork and friends are handled separately. */
static const char *const sandbox_seccomp_denied[] = {"ptrace",
    "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount",
    "umount2", "pivot_root", "chroot", "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "io_uring_setup", "fsopen", "fsmount", "open_tree",
    "move_mount", NULL};

/*
 * The filter: no new processes (fork, vfork, clone without CLONE_THREAD),
 * clone3 answers ENOSYS so that glibc falls back to clone (whose flags we
 * can inspect), a few dangerous calls fail with EPERM, the rest is allowed.
 */
int
sandbox_seccomp_build(struct sandbox *sb, char **cause)
{
	scmp_filter_ctx ctx;
	const char *const *s;
	int fd, rc = -1, nr;
	off_t len;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		*cause = xstrdup("seccomp_init failed");
		return -1;
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fork), 0) <
		0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(vfork), 0) <
		0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) <
		0) {
		*cause = xstrdup("seccomp: cannot add the process rules");
		goto out;
	}
	for (s = sandbox_seccomp_denied; *s != NULL; s++) {
		nr = seccomp_syscall_resolve_name(*s);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0) {
			xasprintf(cause, "seccomp: cannot deny %s", *s);
			goto out;
		}
	}
	if ((fd = memfd_create("jdp-seccomp", MFD_CLOEXEC)) == -1) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		goto out;
	}
	if (seccomp_export_bpf(ctx, fd) < 0 ||
	    (len = lseek(fd, 0, SEEK_END)) <= 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		*cause = xstrdup("seccomp: cannot export the filter");
		goto out;
	}
	sb->bpflen = (size_t)len;
	sb->bpf = xmalloc(sb->bpflen);
	if (read(fd, sb->bpf, sb->bpflen) != (ssize_t)sb->bpflen) {
		close(fd);
		*cause = xstrdup("seccomp: cannot read the filter back");
		goto out;
	}
	close(fd);
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

/* A pipe whose read end holds the BPF program; -1 on failure. */
int
sandbox_seccomp_fd(struct sandbox *sb)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if (write(p[1], sb->bpf, sb->bpflen) != (ssize_t)sb->bpflen) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/* In the child, unsandboxed: load the filter; -1 with errno set. */
int
sandbox_seccomp_install(const struct sandbox *sb)
{
	struct sock_fprog prog;

	prog.len = (unsigned short)(sb->bpflen / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)sb->bpf;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		return -1;
	return 0;
}
