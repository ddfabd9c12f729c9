package testutil

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// FaultProxy is a TCP proxy between a program and a server (the metadata database, say) that a
// test can break: Cut drops every open connection, Down refuses new ones until Up. It listens on
// a loopback port of its own; point the program at URL.
type FaultProxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

// NewFaultProxy forwards a loopback port to target ("host:port"); it closes with the test.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &FaultProxy{target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
	})
	return p
}

// Addr is the proxy's "host:port".
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// URL returns rawURL (a postgres:// URL) with its host and port replaced by the proxy's.
func (p *FaultProxy) URL(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.Host = p.Addr()
	return u.String()
}

func (p *FaultProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[in] = true
		}
		p.mu.Unlock()
		if down {
			_ = in.Close() // refused, as by a server that is not there
			continue
		}
		go p.pipe(in)
	}
}

func (p *FaultProxy) pipe(in net.Conn) {
	out, err := new(net.Dialer).DialContext(context.Background(), "tcp", p.target)
	if err != nil {
		p.forget(in)
		_ = in.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		_ = in.Close()
		_ = out.Close()
		return
	}
	p.conns[out] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
	_ = in.Close()
	_ = out.Close()
	p.forget(in)
	p.forget(out)
}

func (p *FaultProxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// Cut drops every open connection (both sides), as a network fault or a server restart would.
func (p *FaultProxy) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[net.Conn]bool{}
	p.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// Down cuts every connection and refuses new ones until Up: the server is unreachable.
func (p *FaultProxy) Down() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.Cut()
}

// Up lets connections through again.
func (p *FaultProxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
