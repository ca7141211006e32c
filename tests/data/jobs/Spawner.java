// Tries to create processes; the sandbox must refuse.
public class Spawner {
	public String run() {
		StringBuilder sb = new StringBuilder();
		try {
			Process p = new ProcessBuilder("/bin/sh", "-c", "echo x").start();
			p.waitFor();
			sb.append("SPAWNED ");
		} catch (Exception e) {
			sb.append("blocked ");
		}
		try {
			Runtime.getRuntime().exec(new String[] { "/usr/bin/true" }).waitFor();
			sb.append("SPAWNED");
		} catch (Exception e) {
			sb.append("blocked");
		}
		return sb.toString();
	}
}
