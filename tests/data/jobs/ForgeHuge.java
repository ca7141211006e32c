// Forges a result record on the harness's control channel (fd 3, reached
// by reflection as the harness does): one that claims 70 MiB, and sends
// them. jdpd must refuse it, never hand on 70 MiB, and go on.
import java.io.*;
import java.lang.reflect.Constructor;

public class ForgeHuge {
	public String run() throws Exception {
		Constructor<FileDescriptor> k =
		    FileDescriptor.class.getDeclaredConstructor(int.class);
		k.setAccessible(true);
		OutputStream ctl = new FileOutputStream(k.newInstance(3));
		int n = 70 << 20;
		ctl.write(new byte[] { 'O', (byte)(n >>> 24), (byte)(n >>> 16),
		    (byte)(n >>> 8), (byte)n });
		byte[] chunk = new byte[1 << 16];
		java.util.Arrays.fill(chunk, (byte)'f');
		for (int i = 0; i < n / chunk.length; i++)
			ctl.write(chunk);
		ctl.flush();
		return "not forged";
	}
}
