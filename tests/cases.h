/* cases.h - every unit-test case, in run order. Add a case: X(name) here and
 * void t_name(void) in a tests/test_*.c file. */
#ifndef PS_TEST_CASES_H
#define PS_TEST_CASES_H

#define TEST_CASES                                                             \
    X(version) X(strerror) X(le_helpers) X(size_bound) X(opts_sizes)           \
    X(harness_selftest) X(limits_budget) X(limits_atom)                        \
    X(vec_empty) X(vec_one) X(vec_growth_usable) X(vec_next_cap_limits)        \
    X(vec_overflow_no_alloc) X(vec_overaligned) X(vec_clear_shrink)            \
    X(vec_bulk) X(vec_nomem) X(vec_random) X(vec_struct64)                     \
    X(buf_basic) X(buf_headroom_no_move) X(buf_prepend_grows)                  \
    X(buf_reserve_exact) X(buf_detach) X(buf_overflow_nomem) X(buf_random)     \
    X(pool_classes) X(pool_warm_loop) X(pool_cap32) X(pool_foreign)            \
    X(pool_oversize) X(pool_cleared) X(pool_thread_exit) X(pool_nomem)        \
    X(expr_golden) X(expr_print) X(expr_errors) X(expr_extension)              \
    X(expr_check_rejects) X(expr_random_roundtrip) X(expr_nested_wide)         \
    X(expr_max_atom) X(expr_lossless) X(expr_lossless_random)                  \
    X(space_basic) X(space_values) X(space_random_vs_ref) X(space_builder)     \
    X(space_wide_cycles) X(space_merge) X(space_invariants)                      \
    X(space_long_edge) X(space_nomem)     \
    X(space_builder_nomem)                                                     \
    X(segments_random_vs_ref) X(segments_builder_algebra) X(segments_cycles)   \
    X(segments_nomem)                                                          \
    X(import_json_mapping) X(import_budget) X(import_csv_mapping) X(import_errors)             \
    X(import_pobox_real)                                                       \
    X(net_frame_codec) X(net_heartbeat) X(net_every_message) X(net_pipeline)  \
    X(net_many_clients) X(net_malformed) X(net_truncated) X(net_slow_reader)  \
    X(net_auth) X(net_limits) X(net_unauthenticated) X(net_max_memory) X(net_query_stream) X(net_zero_alloc)           \
    X(net_bg_checkpoint) X(net_export_fork) X(net_shard_purge)                  \
    X(http_permissions) X(http_status_bytes) X(http_url) X(http_files_rel) X(http_concurrent) X(http_wrap_vs_query)   \
    X(sort_vs_qsort) X(sort_edges)                                             \
    X(act_worked_examples) X(act_varint) X(act_random_vs_ref)                  \
    X(act_writer_rejects) X(act_space_roundtrip) X(act_merge_trailer)          \
    X(act_hostile) X(act_golden_rejects) X(act_dag_keys)                       \
    X(act_verify_shared_bound)                                                 \
    X(paths_spec_example) X(paths_big_logic) X(paths_foreign_writer) X(paths_straddle) X(paths_gzip)   \
    X(paths_damage) X(paths_golden_rejects)                                    \
    X(snap_roundtrip) X(snap_edges) X(snap_writer_rejects) X(snap_determinism) \
    X(snap_corruption) X(snap_version_flags) X(snap_hostile) X(snap_big_logic)                    \
    X(snap_generated_paths) \
    X(store_roundtrip) X(store_hash_mismatch) X(store_hostile_names)          \
    X(store_refs_gc) X(store_disk_full) X(ckpt_header) X(ckpt_save_restore)   \
    X(store_deep_refs) X(store_verify_refs) X(store_gc_race)                  \
    X(pspace_reopen) X(pspace_own_checkpoint_budget) X(pspace_policy) X(pspace_torn_tail)                     \
    X(pspace_corrupt_log) X(pspace_disk_full) X(pspace_crash) X(pspace_change_whole)                 \
    X(pspace_log_position) X(pspace_newer_checkpoint) X(pspace_maintenance)   \
    X(wal_hostile_tail)                                                       \
    X(golden_snap_accept) X(golden_snap_reject) X(golden_ckpt_accept)         \
    X(golden_ckpt_reject) X(golden_wal_accept) X(golden_wal_reject)          \
    X(query_mork_examples) X(query_max_steps) X(query_variables) X(query_occurs_check)          \
    X(query_shapes) X(query_malformed) X(query_empty_conjunction)              \
    X(query_modes_limits) X(query_damaged_source) X(query_deep)              \
    X(query_threads_agree) X(query_algebra)                                   \
    X(query_random_brute) X(query_random_prolog) X(query_join_brute) X(query_join_prolog) X(query_join_proof) X(query_join_shapes) X(query_real_family)        \
    X(query_real_logic)

#define X(n) void t_##n(void);
TEST_CASES
#undef X

#endif
