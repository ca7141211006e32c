// Returns 60000 characters, under a 64 KiB output limit, but 120000 bytes
// of UTF-8: over it. The limit is on the bytes handed on.
public class WideResult {
	public String run() {
		return "\u00e9".repeat(60000);
	}
}
