// Writes two result records itself on the harness's control channel (fd 3,
// reached by reflection), then returns a third result. A job can choose
// its own result: the first record is the answer, and the only one.
import java.io.*;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;

public class ForgeTwice {
	static byte[] record(String s) {
		byte[] t = s.getBytes(StandardCharsets.UTF_8);
		byte[] r = new byte[5 + t.length];
		r[0] = 'O';
		r[4] = (byte)t.length;
		System.arraycopy(t, 0, r, 5, t.length);
		return r;
	}

	public String run() throws Exception {
		Constructor<FileDescriptor> k =
		    FileDescriptor.class.getDeclaredConstructor(int.class);
		k.setAccessible(true);
		OutputStream ctl = new FileOutputStream(k.newInstance(3));
		ctl.write(record("first"));
		ctl.write(record("second"));
		ctl.flush();
		return "third";
	}
}
