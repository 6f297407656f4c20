(module
  (memory (export "memory") 1)
  (func (export "on_change") (param i32) (result i32) (local.get 0)))
