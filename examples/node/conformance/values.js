// FORMAT.md's JSON values to jco's JavaScript values and back, guided by the
// WIT types that `mail-oauth-conformance --describe` prints. Strict like the
// Rust runner: a record lists every field and no other, a variant carries
// `val` exactly when its case has a payload.

const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const INTEGERS = new Set(['u8', 'u16', 'u32', 's8', 's16', 's32', 'f32', 'f64']);

function fail(path, why) {
  throw new TypeError(`${path}: ${why}`);
}

/** JSON `json` of type `ty` as jco's value. */
export function toJs(json, ty, path = '$') {
  if (typeof ty === 'string') {
    if (ty === 'u64' || ty === 's64') {
      if (!Number.isInteger(json)) fail(path, `expected an integer, got ${JSON.stringify(json)}`);
      return BigInt(json);
    }
    if (INTEGERS.has(ty)) {
      if (typeof json !== 'number') fail(path, `expected a number, got ${JSON.stringify(json)}`);
      return json;
    }
    if (ty === 'bool' && typeof json !== 'boolean') fail(path, 'expected a boolean');
    if ((ty === 'string' || ty === 'char') && typeof json !== 'string') fail(path, 'expected a string');
    return json;
  }
  const [kind] = Object.keys(ty);
  const inner = ty[kind];
  switch (kind) {
    case 'list':
      if (!Array.isArray(json)) fail(path, 'expected an array');
      if (inner === 'u8') return Uint8Array.from(json);
      return json.map((item, i) => toJs(item, inner, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(json) || json.length !== inner.length) fail(path, `expected an array of ${inner.length}`);
      return json.map((item, i) => toJs(item, inner[i], `${path}[${i}]`));
    case 'record': {
      if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(path, 'expected an object');
      const names = inner.map(([name]) => name);
      const extra = Object.keys(json).filter((key) => !names.includes(key));
      if (extra.length) fail(path, `unknown field(s) ${extra.join(', ')}`);
      const out = {};
      for (const [name, fieldTy] of inner) {
        if (!Object.hasOwn(json, name)) fail(path, `missing field ${name}`);
        out[camel(name)] = toJs(json[name], fieldTy, `${path}.${name}`);
      }
      return out;
    }
    case 'variant': {
      const caseTy = new Map(inner).get(json?.tag);
      if (caseTy === undefined) fail(path, `expected a variant case of ${inner.map(([n]) => n).join(', ')}`);
      if ((caseTy === null) === Object.hasOwn(json, 'val')) fail(path, `case ${json.tag}: val ${caseTy === null ? 'not allowed' : 'required'}`);
      return caseTy === null ? { tag: json.tag } : { tag: json.tag, val: toJs(json.val, caseTy, `${path}.val`) };
    }
    case 'enum':
      if (!inner.includes(json)) fail(path, `expected one of ${inner.join(', ')}`);
      return json;
    case 'option':
      return json === null ? undefined : toJs(json, inner, path);
    case 'flags':
      return Object.fromEntries(inner.map((name) => [camel(name), json.includes(name)]));
    default:
      return fail(path, `no JSON form for ${kind}`);
  }
}

/** jco's value `js` of type `ty` as JSON. */
export function toJson(js, ty) {
  if (typeof ty === 'string') return typeof js === 'bigint' ? Number(js) : js;
  const [kind] = Object.keys(ty);
  const inner = ty[kind];
  switch (kind) {
    case 'list':
      return inner === 'u8' ? Array.from(js) : js.map((item) => toJson(item, inner));
    case 'tuple':
      return js.map((item, i) => toJson(item, inner[i]));
    case 'record':
      return Object.fromEntries(inner.map(([name, fieldTy]) => [name, toJson(js[camel(name)], fieldTy)]));
    case 'variant': {
      const caseTy = new Map(inner).get(js.tag);
      return caseTy === null || caseTy === undefined ? { tag: js.tag } : { tag: js.tag, val: toJson(js.val, caseTy) };
    }
    case 'enum':
      return js;
    case 'option':
      return js === undefined || js === null ? null : toJson(js, inner);
    case 'result': {
      const [okTy, errTy] = inner;
      if ('ok' in js) return { ok: okTy === null ? null : toJson(js.ok, okTy) };
      return { err: errTy === null ? null : toJson(js.err, errTy) };
    }
    case 'flags':
      return inner.filter((name) => js[camel(name)]);
    default:
      return null;
  }
}
