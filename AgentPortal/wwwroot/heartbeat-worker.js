// Posts a beat at the interval its URL gives (?ms=3000). A worker's timer keeps its pace in a background tab, where the
// page's own timers are slowed down.
const ms = Number(new URL(self.location.href).searchParams.get('ms')) || 3000;
setInterval(() => postMessage(0), ms);
