/**
 * LINKTYPE_ values (https://www.tcpdump.org/linktypes.html) of the link layers the decoder reads down to IP.
 * The one definition: capture/linktypes.ts names them, decode/parser.ts dispatches on them.
 */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  FDDI: 10,
  RAW_DLT12: 12, // DLT_RAW on most BSDs
  RAW_DLT14: 14, // DLT_RAW on OpenBSD
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  RAW: 101,
  C_HDLC: 104,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
