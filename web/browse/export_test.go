package browse

// KindOf is kindOf for the external tests.
var KindOf = kindOf
