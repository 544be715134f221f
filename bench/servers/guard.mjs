/**
 * Preloaded (`node --import`) into every server the harness starts. The harness talks to its children over an
 * IPC channel; when the channel closes (the harness exited, even killed with SIGKILL) the child shuts itself
 * down with SIGTERM, exactly as an orchestrator would stop it, and exits hard if that takes over 10 s.
 */
if (process.send) {
  process.on('disconnect', () => {
    setTimeout(() => process.exit(1), 10_000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
