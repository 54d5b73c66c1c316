// FORMAT.md's patterns: a scalar matches an equal scalar, {"$re"} a string it
// matches entirely, {"$any": true} anything, an object every listed key, an
// array element by element. Returns null on a match, else where and why not.

export function mismatch(pattern, value, path = 'result') {
  if (pattern !== null && typeof pattern === 'object' && !Array.isArray(pattern)) {
    const keys = Object.keys(pattern);
    if (keys.length === 1 && keys[0] === '$any') return null;
    if (keys.length === 1 && keys[0] === '$re') {
      if (typeof value !== 'string') return `${path}: expected a string matching ${JSON.stringify(pattern.$re)}`;
      let re;
      try {
        re = new RegExp(`^(?:${pattern.$re})$`, 'u');
      } catch (error) {
        return `${path}: invalid pattern: ${error.message}`;
      }
      return re.test(value) ? null : `${path}: does not match ${JSON.stringify(pattern.$re)}`;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${path}: expected an object`;
    for (const key of keys) {
      if (!Object.hasOwn(value, key)) return `${path}: no key ${JSON.stringify(key)}`;
      const why = mismatch(pattern[key], value[key], `${path}.${key}`);
      if (why) return why;
    }
    return null;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return `${path}: expected an array of ${pattern.length}`;
    for (let i = 0; i < pattern.length; i += 1) {
      const why = mismatch(pattern[i], value[i], `${path}[${i}]`);
      if (why) return why;
    }
    return null;
  }
  return pattern === value ? null : `${path}: expected ${JSON.stringify(pattern)}`;
}
