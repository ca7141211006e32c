package org.example.jobs;

/* A job in a package. "public class Fake" in a comment is ignored. */
public final class Packaged {
	private static final String S = "public class InAString {}";

	public String run() {
		return getClass().getName();
	}
}
