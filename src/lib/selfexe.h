/* CVE-2019-5736: a process that enters a container must not run from a
 * writable host file, or the container could reopen it through
 * /proc/PID/exe and overwrite it.  Commands that enter containers (create,
 * run, exec) re-execute once from a read-only image of the binary: a
 * detached read-only bind mount of it where brig may clone mounts (no
 * copy), else a sealed memfd copy; none for a user whose binary only root
 * may write.  Every other command runs as it is. */
#ifndef BRIG_SELFEXE_H
#define BRIG_SELFEXE_H

/* Returns only if the binary needs no new image (already a sealed copy or
   on a read-only mount, or a user's root-owned binary it cannot write), or
   on failure (errno set).  argv/envp are passed to
   the new image. */
int brig_selfexe_protect (char **argv, char **envp);

#endif
