import java.io.*;

// Fills /dev/shm (1 MiB at a time, 8 MiB a file, below RLIMIT_FSIZE) until
// a write fails, at most 256 MiB; then tries a file in /dev itself.
public class ShmFlood {
	public String run() {
		byte[] mib = new byte[1 << 20];
		long total = 0;
		String why = "no limit";
		try {
			for (int f = 0; total < 256L << 20; f++) {
				try (FileOutputStream out =
				    new FileOutputStream("/dev/shm/flood" + f)) {
					for (int i = 0; i < 8; i++) {
						out.write(mib);
						total += mib.length;
					}
				}
			}
		} catch (IOException e) {
			why = "stopped";
		}
		String dev;
		try (FileOutputStream out = new FileOutputStream("/dev/flood")) {
			out.write(1);
			dev = "WROTE";
		} catch (IOException e) {
			dev = "blocked";
		}
		return "shm=" + (total >> 20) + "MiB " + why + " dev=" + dev;
	}
}
