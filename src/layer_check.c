/* The program each layer's link check builds (src/LAYER/meson.build): every
 * object of the layer is linked in with the layers below it alone, so that
 * a call going the wrong way is an undefined symbol and the build fails.
 * It is never run. */
int main(void)
{
	return 0;
}
