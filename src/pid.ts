/** Whether a process id is alive, even if someone else's (EPERM): who owns a stage file or a server-info file. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
