/**
 * streamfit's record formats: the Avro schemas ({@code src/main/avro}, the source of truth, compiled
 * into {@code io.streamfit.schemas.avro}), the lean decoded input {@link io.streamfit.schemas.Timestep},
 * the Kafka serdes of every topic ({@link io.streamfit.schemas.StreamfitSerdes}) and the topic
 * registry ({@link io.streamfit.schemas.TopicRegistry}). Nothing here knows about models or
 * TensorFlow; decoding checks structure, and the bounds it is given ({@link io.streamfit.schemas.TimestepLimits}:
 * object count, id length, feature count) while it parses; the rest of model-dependent validation
 * is the processor's.
 */
package io.streamfit.schemas;
