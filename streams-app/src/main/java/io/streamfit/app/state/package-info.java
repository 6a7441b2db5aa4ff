/**
 * The byte forms of the state stores' values, written and read in one place: each store value is
 * an Avro record of {@code schemas/src/main/avro} with a {@code formatVersion} field, and each
 * codec here also still reads the hand-made byte layout that earlier versions wrote, so that
 * changelogs written before the switch restore. {@code docs/state-format.md} describes every
 * store, its keys, its value schema, the version rules and the legacy forms accepted.
 */
package io.streamfit.app.state;
