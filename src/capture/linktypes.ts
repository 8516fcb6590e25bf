/** LINKTYPE_ values (https://www.tcpdump.org/linktypes.html): one definition, in wire/linktype.ts; names here. */
import { LinkType } from '../wire/linktype.js';
export { LinkType };

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIO',
  143: 'DOCSIS',
  147: 'USER0',
  149: 'PKTAP',
  160: 'USER13',
  163: 'IEEE802_11_AVS',
  187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX',
  195: 'IEEE802_15_4',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  249: 'NETLINK',
  252: 'WIRESHARK_UPPER_PDU',
  253: 'NETLINK',
  258: 'PKTAP',
  263: 'NETANALYZER',
  271: 'VSOCK',
  274: 'ETW',
  276: 'LINUX_SLL2',
  281: 'DSA_TAG_BRCM',
  282: 'DSA_TAG_BRCM_PREPEND',
  284: 'DSA_TAG_DSA',
  285: 'DSA_TAG_EDSA',
};

/** tcpdump's name for a link type, or LINKTYPE_<n>. */
export function linkTypeName(t: number): string {
  return NAMES[t] ?? `LINKTYPE_${t}`;
}

const L = LinkType;
const DECODABLE: ReadonlySet<number> = new Set([
  L.NULL, L.ETHERNET, L.PPP, L.FDDI, L.RAW_DLT12, L.RAW_DLT14, L.PPP_HDLC, L.PPP_ETHER, L.RAW, L.C_HDLC, L.LOOP, L.LINUX_SLL,
  L.IPV4, L.IPV6, L.LINUX_SLL2,
]);

/** Link types the decoder understands down to IP. */
export function isDecodable(t: number): boolean {
  return DECODABLE.has(t);
}
