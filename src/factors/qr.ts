// The enrolment QR code is drawn on the server as inline SVG, so the seed never reaches a third-party service.
import QRCode from 'qrcode';

/** A self-contained SVG (no scripts, links or remote references) of the QR code for `text`. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}
