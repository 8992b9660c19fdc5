package io.canaryproxy.admin;

/**
 * Answers one admin request. Runs on the admin event loop (never a proxy one), so it may do modest
 * work such as rendering JSON, but should not block for long. An exception becomes a 500 JSON
 * error.
 */
@FunctionalInterface
public interface AdminHandler {
  AdminResponse handle(AdminRequest request) throws Exception;
}
