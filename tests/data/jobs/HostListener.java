import java.io.*;
import java.net.*;

/*
 * Not a job: tests/integration/runner.sh runs this on the host
 * (java HostListener.java) as a TCP service that jobs must not reach.
 * It prints its port, then greets every connection.
 */
public class HostListener {
	public static void main(String[] args) throws IOException {
		try (ServerSocket s = new ServerSocket(0, 50,
		    InetAddress.getLoopbackAddress())) {
			System.out.println(s.getLocalPort());
			System.out.flush();
			for (;;) {
				try (Socket c = s.accept()) {
					c.getOutputStream().write("hello\n".getBytes());
				}
			}
		}
	}
}
