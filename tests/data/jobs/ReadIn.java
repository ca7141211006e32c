// A run() job that reads all of System.in, printing as it goes.
public class ReadIn {
	public String run() throws Exception {
		byte[] b = new byte[8192];
		long n = 0, sum = 0;
		int got;
		while ((got = System.in.read(b)) != -1) {
			for (int i = 0; i < got; i++) {
				sum = (sum * 31 + (b[i] & 0xff)) % 1000000007;
				if (++n % 65536 == 0)
					System.out.print('.');
			}
		}
		return "bytes=" + n + " sum=" + sum;
	}
}
