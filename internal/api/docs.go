package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// docsPage is a self-contained API reference that renders the OpenAPI
// document in the browser without loading anything from the internet.
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NextFlow API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#111827;color:#fff;padding:1rem 2rem}header a{color:#93c5fd}
main{max-width:60rem;margin:0 auto;padding:1rem 2rem}
details{background:#fff;border:1px solid #e5e7eb;border-radius:.5rem;margin:.5rem 0}
summary{cursor:pointer;padding:.6rem .9rem;font-family:ui-monospace,monospace;font-size:.9rem}
.m{display:inline-block;width:4.5rem;font-weight:700}.GET{color:#2563eb}.POST{color:#059669}.PUT,.PATCH{color:#d97706}.DELETE{color:#dc2626}
pre{background:#f3f4f6;padding:.75rem;overflow:auto;font-size:.8rem;margin:0 .9rem .9rem}
h2{margin-top:2rem;text-transform:capitalize}.d{padding:0 .9rem;color:#4b5563}
</style></head><body>
<header><strong>NextFlow API</strong> · <a href="/api/v1/openapi.json">openapi.json</a></header>
<main id="root">Loading…</main>
<script>
fetch('/api/v1/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('root'); root.textContent='';
  const p=document.createElement('p'); p.textContent=doc.info.description||''; root.appendChild(p);
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths||{})){
    for(const [method,op] of Object.entries(item)){
      const tag=(op.tags&&op.tags[0])||'other'; (byTag[tag]=byTag[tag]||[]).push({path,method:method.toUpperCase(),op});
    }
  }
  for(const tag of Object.keys(byTag).sort()){
    const h=document.createElement('h2'); h.textContent=tag; root.appendChild(h);
    for(const {path,method,op} of byTag[tag]){
      const d=document.createElement('details'); const s=document.createElement('summary');
      const m=document.createElement('span'); m.className='m '+method; m.textContent=method;
      s.appendChild(m); s.appendChild(document.createTextNode(path+' — '+(op.summary||op.operationId)));
      d.appendChild(s);
      const desc=document.createElement('p'); desc.className='d'; desc.textContent=op.description||''; d.appendChild(desc);
      const pre=document.createElement('pre'); pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      d.appendChild(pre); root.appendChild(d);
    }
  }
}).catch(e=>{document.getElementById('root').textContent='Could not load the OpenAPI document: '+e});
</script></body></html>`

func serveDocs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", docsCSP)
	_, _ = w.Write([]byte(docsPage))
}

// docsCSP allows the page's own inline script by its hash (not every
// inline script) and its inline style, fetches from this origin only, and
// no framing.
var docsCSP = func() string {
	start := strings.Index(docsPage, "<script>") + len("<script>")
	end := strings.Index(docsPage, "</script>")
	sum := sha256.Sum256([]byte(docsPage[start:end]))
	return "default-src 'self'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; style-src 'unsafe-inline'; " +
		"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}()
