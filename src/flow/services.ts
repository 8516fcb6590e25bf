/**
 * Service ports: what makes one side of a connection look like the server when no handshake says so. Well-known
 * ports (0-1023, IANA "System Ports") plus registered ports commonly run as servers.
 */
const REGISTERED = [
  1080, 1194, 1433, 1434, 1521, 1701, 1723, 1812, 1813, 1883, 2049, 2181, 2375, 2376, 2379, 2380, 3000, 3128, 3260,
  3268, 3269, 3306, 3389, 3478, 3690, 4369, 4443, 4500, 4789, 5000, 5001, 5044, 5060, 5061, 5222, 5269, 5349, 5353,
  5355, 5432, 5601, 5671, 5672, 5900, 5985, 5986, 6081, 6379, 6443, 6514, 6660, 6667, 6697, 7000, 7001, 7199, 8000,
  8008, 8080, 8081, 8086, 8088, 8443, 8500, 8883, 8888, 9000, 9042, 9090, 9092, 9093, 9100, 9200, 9300, 9418, 9443,
  10250, 11211, 15672, 25565, 27017, 27018, 50000, 50070,
];

const SERVICE = new Uint8Array(65536);
for (let p = 1; p < 1024; p++) SERVICE[p] = 1;
for (const p of REGISTERED) SERVICE[p] = 1;

/** True when `port` is a well-known or commonly registered server port. */
export function isServicePort(port: number): boolean {
  return SERVICE[port] === 1;
}
