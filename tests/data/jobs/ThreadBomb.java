// Starts threads without end; the pids limit must stop it.
public class ThreadBomb {
	public String run() {
		int n = 0;
		try {
			for (; n < 100000; n++) {
				Thread t = new Thread(() -> {
					try {
						Thread.sleep(Long.MAX_VALUE);
					} catch (InterruptedException e) {
					}
				});
				t.setDaemon(true);
				t.start();
			}
		} catch (Throwable t) {
			return "stopped after " + n + " threads";
		}
		return "started " + n + " threads";
	}
}
