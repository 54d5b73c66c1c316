#define FFI_SCOPE "MAIL_OAUTH_WASMTIME"
#define FFI_LIB "libmail_oauth_wasmtime_capi.so"
// The subset of wasmtime 48's C API (the headers of the wasmtime-c-api-impl
// crate, include/wasm.h, wasi.h, wasmtime/*.h and wasmtime/component/*.h)
// that the PHP kit calls, declared for FFI::cdef / FFI::load: no
// preprocessor, so every macro is spelled out. Keep in step with those
// headers when the wasmtime pin moves. `const uint8_t *buf` is declared
// `const char *` (same ABI) so that FFI passes a PHP string without a copy.
// The two #define lines come first: FFI::load and ffi.preload read them
// only there (FFI::cdef gets the text without them, see Native::header).

typedef struct wasm_byte_vec_t { size_t size; char *data; } wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
void wasm_byte_vec_new(wasm_byte_vec_t *out, size_t size, const char *data);
void wasm_byte_vec_delete(wasm_byte_vec_t *vec);

typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_config_t wasm_config_t;
wasm_config_t *wasm_config_new(void);
void wasmtime_config_consume_fuel_set(wasm_config_t *config, bool enable);
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config);
void wasmtime_config_memory_reservation_set(wasm_config_t *config, uint64_t bytes);
void wasmtime_config_memory_reservation_for_growth_set(wasm_config_t *config, uint64_t bytes);
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;
wasmtime_pooling_allocation_config_t *wasmtime_pooling_allocation_config_new(void);
void wasmtime_pooling_allocation_config_delete(wasmtime_pooling_allocation_config_t *config);
void wasmtime_pooling_allocation_strategy_set(wasm_config_t *config, const wasmtime_pooling_allocation_config_t *pooling);
void wasmtime_pooling_allocation_config_total_component_instances_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_total_core_instances_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_max_core_instances_per_component_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_total_memories_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_max_memories_per_component_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_total_tables_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_max_tables_per_component_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasmtime_pooling_allocation_config_table_elements_set(wasmtime_pooling_allocation_config_t *c, size_t n);
void wasmtime_pooling_allocation_config_max_memory_size_set(wasmtime_pooling_allocation_config_t *c, size_t bytes);
void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(wasmtime_pooling_allocation_config_t *c, size_t bytes);
void wasmtime_pooling_allocation_config_table_keep_resident_set(wasmtime_pooling_allocation_config_t *c, size_t bytes);
void wasmtime_pooling_allocation_config_max_unused_warm_slots_set(wasmtime_pooling_allocation_config_t *c, uint32_t n);
void wasm_engine_delete(wasm_engine_t *engine);

typedef struct wasmtime_error wasmtime_error_t;
wasmtime_error_t *wasmtime_error_new(const char *message);
void wasmtime_error_message(const wasmtime_error_t *error, wasm_name_t *message);
void wasmtime_error_delete(wasmtime_error_t *error);

typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
void wasmtime_store_limiter(wasmtime_store_t *store, int64_t memory_size, int64_t table_elements,
                            int64_t instances, int64_t tables, int64_t memories);
void wasmtime_store_delete(wasmtime_store_t *store);
wasmtime_error_t *wasmtime_context_set_fuel(wasmtime_context_t *context, uint64_t fuel);

typedef struct wasi_config_t wasi_config_t;
wasi_config_t *wasi_config_new(void);
wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *context, wasi_config_t *wasi);

// component/types/resource.h, component/val.h
typedef struct wasmtime_component_resource_type wasmtime_component_resource_type_t;
wasmtime_component_resource_type_t *wasmtime_component_resource_type_new_host(uint32_t ty);
void wasmtime_component_resource_type_delete(wasmtime_component_resource_type_t *resource);

typedef struct wasmtime_component_resource_any wasmtime_component_resource_any_t;
typedef struct wasmtime_component_resource_host wasmtime_component_resource_host_t;
wasmtime_component_resource_host_t *wasmtime_component_resource_host_new(bool owned, uint32_t rep, uint32_t ty);
uint32_t wasmtime_component_resource_host_rep(const wasmtime_component_resource_host_t *resource);
uint32_t wasmtime_component_resource_host_type(const wasmtime_component_resource_host_t *resource);
void wasmtime_component_resource_host_delete(wasmtime_component_resource_host_t *resource);
wasmtime_error_t *wasmtime_component_resource_any_to_host(wasmtime_context_t *ctx,
    const wasmtime_component_resource_any_t *resource, wasmtime_component_resource_host_t **ret);
wasmtime_error_t *wasmtime_component_resource_host_to_any(wasmtime_context_t *ctx,
    const wasmtime_component_resource_host_t *resource, wasmtime_component_resource_any_t **ret);

typedef uint8_t wasmtime_component_valkind_t;
struct wasmtime_component_val;
struct wasmtime_component_valrecord_entry;
struct wasmtime_component_valmap_entry;
typedef struct wasmtime_component_vallist { size_t size; struct wasmtime_component_val *data; } wasmtime_component_vallist_t;
typedef struct wasmtime_component_valrecord { size_t size; struct wasmtime_component_valrecord_entry *data; } wasmtime_component_valrecord_t;
typedef struct wasmtime_component_valtuple { size_t size; struct wasmtime_component_val *data; } wasmtime_component_valtuple_t;
typedef struct wasmtime_component_valflags { size_t size; wasm_name_t *data; } wasmtime_component_valflags_t;
typedef struct wasmtime_component_valmap { size_t size; struct wasmtime_component_valmap_entry *data; } wasmtime_component_valmap_t;
void wasmtime_component_vallist_new_uninit(wasmtime_component_vallist_t *out, size_t size);
void wasmtime_component_valrecord_new_uninit(wasmtime_component_valrecord_t *out, size_t size);
void wasmtime_component_valtuple_new_uninit(wasmtime_component_valtuple_t *out, size_t size);
void wasmtime_component_valflags_new_uninit(wasmtime_component_valflags_t *out, size_t size);

typedef struct { wasm_name_t discriminant; struct wasmtime_component_val *val; } wasmtime_component_valvariant_t;
typedef struct { bool is_ok; struct wasmtime_component_val *val; } wasmtime_component_valresult_t;
typedef union {
  bool boolean; int8_t s8; uint8_t u8; int16_t s16; uint16_t u16; int32_t s32; uint32_t u32;
  int64_t s64; uint64_t u64; float f32; double f64; uint32_t character;
  wasm_name_t string;
  wasmtime_component_vallist_t list;
  wasmtime_component_valrecord_t record;
  wasmtime_component_valtuple_t tuple;
  wasmtime_component_valvariant_t variant;
  wasm_name_t enumeration;
  struct wasmtime_component_val *option;
  wasmtime_component_valresult_t result;
  wasmtime_component_valflags_t flags;
  wasmtime_component_valmap_t map;
  wasmtime_component_resource_any_t *resource;
} wasmtime_component_valunion_t;
typedef struct wasmtime_component_val { wasmtime_component_valkind_t kind; wasmtime_component_valunion_t of; } wasmtime_component_val_t;
typedef struct wasmtime_component_valrecord_entry { wasm_name_t name; wasmtime_component_val_t val; } wasmtime_component_valrecord_entry_t;
typedef struct wasmtime_component_valmap_entry { wasmtime_component_val_t key; wasmtime_component_val_t value; } wasmtime_component_valmap_entry_t;
wasmtime_component_val_t *wasmtime_component_val_new(wasmtime_component_val_t *val);
void wasmtime_component_val_delete(wasmtime_component_val_t *value);

// component/component.h, instance.h, func.h
typedef struct wasmtime_component_t wasmtime_component_t;
typedef struct wasmtime_component_export_index_t wasmtime_component_export_index_t;
wasmtime_error_t *wasmtime_component_new(const wasm_engine_t *engine, const char *buf, size_t len,
                                         wasmtime_component_t **component_out);
wasmtime_error_t *wasmtime_component_serialize(const wasmtime_component_t *component, wasm_byte_vec_t *ret);
wasmtime_error_t *wasmtime_component_deserialize(const wasm_engine_t *engine, const char *buf, size_t len,
                                                 wasmtime_component_t **component_out);
void wasmtime_component_delete(wasmtime_component_t *component);
wasmtime_component_export_index_t *wasmtime_component_get_export_index(const wasmtime_component_t *component,
    const wasmtime_component_export_index_t *instance_export_index, const char *name, size_t name_len);
void wasmtime_component_export_index_delete(wasmtime_component_export_index_t *export_index);

typedef struct wasmtime_component_instance { uint64_t store_id; uint32_t __private; } wasmtime_component_instance_t;
typedef struct wasmtime_component_func { struct { uint64_t store_id; uint32_t __private1; }; uint32_t __private2; } wasmtime_component_func_t;
typedef struct wasmtime_component_func_type_t wasmtime_component_func_type_t;
bool wasmtime_component_instance_get_func(const wasmtime_component_instance_t *instance, wasmtime_context_t *context,
    const wasmtime_component_export_index_t *export_index, wasmtime_component_func_t *func_out);
wasmtime_error_t *wasmtime_component_func_call(const wasmtime_component_func_t *func, wasmtime_context_t *context,
    const wasmtime_component_val_t *args, size_t args_size, wasmtime_component_val_t *results, size_t results_size);
wasmtime_error_t *wasmtime_component_func_post_return(const wasmtime_component_func_t *func, wasmtime_context_t *context);

// component/linker.h
typedef struct wasmtime_component_linker_t wasmtime_component_linker_t;
typedef struct wasmtime_component_linker_instance_t wasmtime_component_linker_instance_t;
typedef wasmtime_error_t *(*wasmtime_component_func_callback_t)(void *, wasmtime_context_t *,
    const wasmtime_component_func_type_t *, wasmtime_component_val_t *, size_t, wasmtime_component_val_t *, size_t);
typedef wasmtime_error_t *(*wasmtime_component_resource_destructor_t)(void *, wasmtime_context_t *, uint32_t);
wasmtime_component_linker_t *wasmtime_component_linker_new(const wasm_engine_t *engine);
wasmtime_component_linker_instance_t *wasmtime_component_linker_root(wasmtime_component_linker_t *linker);
wasmtime_error_t *wasmtime_component_linker_instantiate(const wasmtime_component_linker_t *linker,
    wasmtime_context_t *context, const wasmtime_component_t *component, wasmtime_component_instance_t *instance_out);
void wasmtime_component_linker_delete(wasmtime_component_linker_t *linker);
wasmtime_error_t *wasmtime_component_linker_instance_add_instance(wasmtime_component_linker_instance_t *linker_instance,
    const char *name, size_t name_len, wasmtime_component_linker_instance_t **linker_instance_out);
wasmtime_error_t *wasmtime_component_linker_instance_add_func(wasmtime_component_linker_instance_t *linker_instance,
    const char *name, size_t name_len, wasmtime_component_func_callback_t callback, void *data, void (*finalizer)(void *));
wasmtime_error_t *wasmtime_component_linker_instance_add_resource(wasmtime_component_linker_instance_t *linker_instance,
    const char *name, size_t name_len, const wasmtime_component_resource_type_t *resource,
    wasmtime_component_resource_destructor_t destructor, void *data, void (*finalizer)(void *));
void wasmtime_component_linker_instance_delete(wasmtime_component_linker_instance_t *linker_instance);
wasmtime_error_t *wasmtime_component_linker_add_wasip2(wasmtime_component_linker_t *linker);
