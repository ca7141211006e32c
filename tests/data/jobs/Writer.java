import java.nio.file.*;

// Writes everywhere it can think of; only its private /tmp may work.
public class Writer {
	static String tryWrite(String path) {
		try {
			Files.writeString(Path.of(path), "x");
			return "WROTE";
		} catch (Exception e) {
			return "blocked";
		}
	}

	public String run() {
		return "root=" + tryWrite("/jdp-test") +
		    " etc=" + tryWrite("/etc/jdp-test") +
		    " usr=" + tryWrite("/usr/jdp-test") +
		    " jar=" + tryWrite("/jdp/jdp-runner.jar") +
		    " tmp=" + tryWrite("/tmp/jdp-test");
	}
}
