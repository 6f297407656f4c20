package auth

// Agent is the authenticated caller. The zero Agent is anonymous.
type Agent struct {
	WebID    string
	Issuer   string
	ClientID string
}

// Anonymous reports whether a is the zero Agent.
func (a Agent) Anonymous() bool { return a.WebID == "" }
