(module
  (import "env" "memory" (memory 1))
  (func (export "on_change") (result i32) (i32.const 0)))
