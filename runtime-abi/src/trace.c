/* Timeline writers: Chrome-trace/Perfetto JSON and a self-contained HTML page
 * (inline canvas + script, no network). Both go through trn_rt_outfile_t (a temporary
 * file in the same folder and a rename), so that a failure never leaves a partial
 * file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interp_internal.h"

typedef trn_rt_outfile_t tmpfile_t;

static trn_status_t tmp_open(const char *path, tmpfile_t *out) { return trn_rt_outfile_open(path, out); }

static trn_status_t tmp_close(tmpfile_t *t) { return trn_rt_outfile_close(t, true); }

/* Writes s as the body of a JSON string ('<' escaped too, for inline scripts). */
static void json_str(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == '<' || c == '>' || c == '&') fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
}

static const char *event_mnemonic(const trn_rt_model_t *m, const trn_trace_event_t *e,
                                  const trn_inst_t **out_inst) {
  const trn_inst_t *in = &m->streams[e->stream][e->index];
  *out_inst = in;
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  return info ? info->mnemonic : "?";
}

trn_status_t trn_trace_write_json(const char *path, const trn_rt_model_t *model,
                                  const trn_trace_event_t *events, size_t count) {
  tmpfile_t t;
  TRN_RETURN_IF_ERROR(tmp_open(path, &t));
  FILE *f = t.file;
  fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"args\":{\"name\":\"trn %s\"}}",
          model->target->name);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (!model->stream_length[s]) continue;
    char name[16];
    fprintf(f,
            ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":%u,\"args\":{\"name\":"
            "\"%s\"}}",
            s, trn_isa_stream_name(s, name, sizeof name));
    fprintf(f,
            ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":0,\"tid\":%u,\"args\":{"
            "\"sort_index\":%u}}",
            s, s);
  }
  char text[512];
  for (size_t i = 0; i < count; i++) {
    const trn_trace_event_t *e = &events[i];
    const trn_inst_t *in;
    const char *mn = event_mnemonic(model, e, &in);
    trn_isa_disassemble(in, text, sizeof text);
    fprintf(f,
            ",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":0,\"tid\":%u,\"ts\":%.6f,\"dur\":%.6f,"
            "\"args\":{\"opcode\":\"%s\",\"index\":%u,\"operands\":\"",
            mn, e->stream, e->start_ns / 1000.0, e->dur_ns / 1000.0, mn, e->index);
    json_str(f, text);
    uint32_t layer = trn_rt_model_inst_layer(model, e->stream, e->index);
    if (layer != TRN_RT_NO_LAYER) {
      fprintf(f, "\",\"layer\":\"");
      json_str(f, trn_rt_model_layer_name(model, layer));
    }
    fprintf(f, "\"}}");
  }
  fprintf(f, "\n]}\n");
  return tmp_close(&t);
}

static const char trn_html_head[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>trn timeline</title>\n"
    "<style>\n"
    "body{font:13px sans-serif;margin:12px;background:#fafafa;color:#222}\n"
    "#wrap{position:relative;border:1px solid #ccc;background:#fff}\n"
    "canvas{display:block}\n"
    "#tip{position:absolute;pointer-events:none;background:#333;color:#fff;padding:6px 8px;"
    "border-radius:4px;font:12px monospace;white-space:pre;display:none;max-width:900px;"
    "z-index:2}\n"
    "table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px;text-align:right}\n"
    "</style></head><body>\n"
    "<h2>trn timeline</h2><div id=\"summary\"></div>\n"
    "<p>Wheel: zoom; drag: pan; double-click: reset. Hover a box for the instruction.</p>\n"
    "<div id=\"wrap\"><canvas id=\"c\"></canvas><div id=\"tip\"></div></div>\n"
    "<script>\n";

static const char trn_html_script[] =
    "const rowsOf={};ROWS.forEach((r,i)=>rowsOf[r[0]]=i);\n"
    "const perRow=ROWS.map(()=>[]);\n"
    "EV.forEach(e=>perRow[rowsOf[e[0]]].push(e));\n"
    "perRow.forEach(r=>r.sort((a,b)=>a[1]-b[1]));\n"
    "const cv=document.getElementById('c'),ctx=cv.getContext('2d'),tip=document.getElementById"
    "('tip');\n"
    "const LABEL=70,ROWH=26,TOP=24;let T0=0,T1=Math.max(TOTAL,1e-9);\n"
    "function color(op){let h=0;for(const c of OPS[op])h=(h*31+c.charCodeAt(0))%360;"
    "return 'hsl('+h+',60%,55%)';}\n"
    "function fmt(ns){return ns>=1e6?(ns/1e6).toFixed(3)+' ms':ns>=1e3?(ns/1e3).toFixed(3)+' "
    "us':ns.toFixed(1)+' ns';}\n"
    "function draw(){const W=Math.max(600,document.body.clientWidth-30);cv.width=W;"
    "cv.height=TOP+ROWS.length*ROWH+4;ctx.clearRect(0,0,cv.width,cv.height);"
    "ctx.font='12px sans-serif';const sc=(W-LABEL)/(T1-T0);"
    "ctx.fillStyle='#888';for(let i=0;i<=8;i++){const t=T0+(T1-T0)*i/8,x=LABEL+(t-T0)*sc;"
    "ctx.fillRect(x,TOP-4,1,4+ROWS.length*ROWH);ctx.fillText(fmt(t),Math.min(x+2,W-70),12);}"
    "ROWS.forEach((r,i)=>{const y=TOP+i*ROWH;ctx.fillStyle=i%2?'#f4f4f4':'#fff';"
    "ctx.fillRect(LABEL,y,W-LABEL,ROWH);ctx.fillStyle='#222';"
    "ctx.fillText(r[1]+' '+(100*r[2]).toFixed(1)+'%',4,y+17);"
    "for(const e of perRow[i]){const x0=LABEL+(e[1]-T0)*sc,x1=LABEL+(e[1]+e[2]-T0)*sc;"
    "if(x1<LABEL||x0>W)continue;ctx.fillStyle=color(e[3]);"
    "ctx.fillRect(Math.max(x0,LABEL),y+3,Math.max(1,Math.min(x1,W)-Math.max(x0,LABEL)),"
    "ROWH-6);}});}\n"
    "function find(mx,my){const i=Math.floor((my-TOP)/ROWH);if(i<0||i>=ROWS.length||mx<LABEL)"
    "return null;const W=cv.width,t=T0+(mx-LABEL)*(T1-T0)/(W-LABEL),tol=2*(T1-T0)/(W-LABEL);"
    "const r=perRow[i];let lo=0,hi=r.length;while(lo<hi){const m=(lo+hi)>>1;"
    "if(r[m][1]<=t)lo=m+1;else hi=m;}for(let k=lo-1;k>=0&&k>=lo-3;k--){const e=r[k];"
    "if(t<=e[1]+e[2]+tol)return e;}if(lo<r.length&&r[lo][1]-t<=tol)return r[lo];return null;}\n"
    "cv.addEventListener('mousemove',ev=>{const b=cv.getBoundingClientRect(),"
    "mx=ev.clientX-b.left,my=ev.clientY-b.top;if(drag){const dt=(drag-mx)*(T1-T0)/"
    "(cv.width-LABEL);T0+=dt;T1+=dt;drag=mx;draw();return;}const e=find(mx,my);"
    "if(!e){tip.style.display='none';return;}tip.textContent=ROWS[rowsOf[e[0]]][1]+' #'+e[4]+"
    "' '+OPS[e[3]]+'\\nstart '+fmt(e[1])+'  duration '+fmt(e[2])+'\\n'+e[5];"
    "tip.style.display='block';tip.style.left=Math.min(mx+12,cv.width-300)+'px';"
    "tip.style.top=(my+14)+'px';});\n"
    "cv.addEventListener('mouseleave',()=>{tip.style.display='none';drag=0;});\n"
    "let drag=0;cv.addEventListener('mousedown',ev=>{drag=ev.clientX-cv.getBoundingClientRect()"
    ".left;});window.addEventListener('mouseup',()=>{drag=0;});\n"
    "cv.addEventListener('wheel',ev=>{ev.preventDefault();const b=cv.getBoundingClientRect(),"
    "mx=ev.clientX-b.left;const t=T0+Math.max(0,mx-LABEL)*(T1-T0)/(cv.width-LABEL);"
    "const f=ev.deltaY>0?1.25:0.8;T0=t-(t-T0)*f;T1=t+(T1-t)*f;draw();},{passive:false});\n"
    "cv.addEventListener('dblclick',()=>{T0=0;T1=Math.max(TOTAL,1e-9);draw();});\n"
    "window.addEventListener('resize',draw);\n"
    "document.getElementById('summary').innerHTML=SUMMARY;\n"
    "draw();\n"
    "</script></body></html>\n";

trn_status_t trn_trace_write_html(const char *path, const trn_rt_model_t *model,
                                  const trn_trace_event_t *events, size_t count,
                                  const trn_rt_profile_t *profile) {
  tmpfile_t t;
  TRN_RETURN_IF_ERROR(tmp_open(path, &t));
  FILE *f = t.file;
  fputs(trn_html_head, f);
  fprintf(f, "const TOTAL=%.3f;\n", profile->total_seconds * 1e9);
  fprintf(f, "const ROWS=[");
  bool first = true;
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (!model->stream_length[s]) continue;
    char name[16];
    fprintf(f, "%s[%u,\"%s\",%.4f]", first ? "" : ",", s,
            trn_isa_stream_name(s, name, sizeof name), profile->engine_busy[s]);
    first = false;
  }
  fprintf(f, "];\nconst OPS=[");
  size_t nops = trn_isa_opcode_count();
  for (size_t i = 0; i < nops; i++)
    fprintf(f, "%s\"%s\"", i ? "," : "", trn_isa_opinfo_at(i)->mnemonic);
  fprintf(f, "];\n");
  fprintf(f,
          "const SUMMARY=\"<table><tr><th>target</th><td>%s</td><th>simulated time</th><td>%.3f "
          "us</td><th>PE cycles</th><td>%llu</td></tr><tr><th>instructions</th><td>%llu</td>"
          "<th>PE utilization</th><td>%.2f%%</td><th>DMA bytes</th><td>%llu</td></tr></table>\";\n",
          model->target->name, profile->total_seconds * 1e6,
          (unsigned long long)profile->total_cycles, (unsigned long long)profile->instructions,
          100.0 * profile->pe_utilization, (unsigned long long)profile->dma_bytes);
  fprintf(f, "const EV=[");
  size_t opindex[256] = {0};
  for (size_t k = 0; k < nops; k++) opindex[trn_isa_opinfo_at(k)->opcode & 0xFF] = k;
  char text[512];
  for (size_t i = 0; i < count; i++) {
    const trn_trace_event_t *e = &events[i];
    const trn_inst_t *in = &model->streams[e->stream][e->index];
    size_t op = opindex[in->opcode];
    trn_isa_disassemble(in, text, sizeof text);
    fprintf(f, "%s\n[%u,%.3f,%.3f,%zu,%u,\"", i ? "," : "", e->stream, e->start_ns, e->dur_ns, op,
            e->index);
    json_str(f, text);
    fputs("\"]", f);
  }
  fprintf(f, "];\n");
  fputs(trn_html_script, f);
  return tmp_close(&t);
}
