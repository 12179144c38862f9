/**
 * The runnable demo ({@link io.cachesync.examples.Demo}) and the {@code reconcile} command wired to its model.
 * It uses only the public API of {@code io.cachesync.hibernate} and {@code io.cachesync.core}, plus the Redis
 * launcher of the test support, so that it needs nothing installed.
 */
package io.cachesync.examples;
