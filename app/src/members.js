try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;
if(z&&document.cookie.indexOf('farewell_tz='+z)<0)document.cookie='farewell_tz='+z+
';path=/;max-age=31536000;samesite=lax'+(location.protocol=='https:'?';secure':'')}catch(e){}
(function(d){var tip,marks='.chart [role=img][tabindex]';
function is(t){return t&&t.matches&&t.matches(marks)}
function hide(){if(tip)tip.hidden=true}
function show(m){if(!tip){tip=d.createElement('div');tip.className='chart-tip';tip.id='chart-tip';
tip.setAttribute('role','tooltip');d.body.appendChild(tip)}
tip.textContent=m.getAttribute('aria-label');tip.hidden=false;
var r=m.getBoundingClientRect(),w=tip.offsetWidth,y=r.top-tip.offsetHeight-6;if(y<4)y=r.bottom+6;
tip.style.left=Math.max(4,Math.min(innerWidth-w-4,r.left+r.width/2-w/2))+scrollX+'px';
tip.style.top=y+scrollY+'px'}
d.addEventListener('focusin',function(e){var t=e.target,l=t.list;if(is(t))show(t);
if(l&&l.id=='time-zones'&&!l.firstChild&&Intl.supportedValuesOf)
Intl.supportedValuesOf('timeZone').forEach(function(n){var o=d.createElement('option');o.value=n;l.appendChild(o)})});
d.addEventListener('focusout',hide);
d.addEventListener('mouseover',function(e){var m=e.target.closest&&e.target.closest(marks);
if(m||is(m=d.activeElement))show(m);else hide()});
d.addEventListener('keydown',function(e){var t=e.target,k=e.key,m;
if(k=='Escape'){hide();if(m=d.querySelector('main[aria-busy]'))m.removeAttribute('aria-busy');return}if(!is(t))return;
var all=[].slice.call(t.parentNode.querySelectorAll(marks)),i=all.indexOf(t),
j={ArrowRight:i+1,ArrowDown:i+1,ArrowLeft:i-1,ArrowUp:i-1,Home:0,End:all.length-1}[k];
if(j==null)return;e.preventDefault();var n=all[Math.max(0,Math.min(all.length-1,j))];
t.tabIndex=-1;n.tabIndex=0;n.focus()});
function busy(e,a){setTimeout(function(){var m=d.querySelector('main');if(m&&!e.defaultPrevented&&a)m.setAttribute('aria-busy','true')})}
d.addEventListener('submit',function(e){busy(e,1)});
d.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a[href]');
busy(e,a&&!e.button&&!(e.ctrlKey||e.metaKey||e.shiftKey||e.altKey)&&!a.target&&!a.hasAttribute('download')&&
a.origin==location.origin&&a.pathname+a.search!=location.pathname+location.search)});
addEventListener('pageshow',function(){var m=d.querySelector('main[aria-busy]');if(m)m.removeAttribute('aria-busy')})})(document);
