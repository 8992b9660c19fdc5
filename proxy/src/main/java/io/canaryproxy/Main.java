package io.canaryproxy;
public final class Main { public static void main(String[] a) {} }
