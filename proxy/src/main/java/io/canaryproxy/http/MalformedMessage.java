package io.canaryproxy.http;

/**
 * Takes the place of a message (or of the rest of one) that the adapter could not decode; nothing
 * more from that connection follows. Not reference-counted.
 *
 * @param cause what was wrong, for logs
 */
public record MalformedMessage(Throwable cause) {}
