package io.canaryproxy.bench;
public final class BenchMain { public static void main(String[] a) {} }
